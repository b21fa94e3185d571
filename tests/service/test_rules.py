"""Recusal, closing a complaint, the retention loop, gifts and the festival calendar."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.urls import reverse

from customers.models import AssetTier
from service.care import festivals_in, lunar_to_solar
from service.models import Gift, GiftPolicy, Rectification, Ticket
from service.services import approve_gift, give_gift, move_ticket, record_gift
from service.signals import retention_needed
from tests.factories import CustomerFactory, UserFactory
from tests.service.conftest import take
from visits.models import Visit
from workflow.services import move

pytestmark = pytest.mark.django_db


# --- recusal ------------------------------------------------------------------------------


def _complaint_form(book, **extra):
    data = {
        "ticket_type": "complaint",
        "customer": f"{book.mine.customer_no} {book.mine.name}",
        "channel": "branch",
        "category": "counter",
        "content": "柜员态度恶劣",
    }
    data.update(extra)
    return data


def test_the_page_refuses_a_complaint_handled_by_the_rm_complained_about(
    client_for, book, personas
):
    response = client_for("rm").post(
        reverse("service-create"), _complaint_form(book, subject_rm=personas.rm.pk)
    )
    assert response.status_code == 200
    assert "回避" in " ".join(response.context["form"].errors["handler"])
    assert not Ticket.objects.exists()


def test_the_page_refuses_a_handler_of_the_outlet_complained_about(client_for, book, personas, org):
    response = client_for("head").post(
        reverse("service-create"),
        _complaint_form(book, subject_unit=org.b1a.pk, handler=personas.rm.pk),
    )
    assert response.status_code == 200
    assert "回避" in " ".join(response.context["form"].errors["handler"])
    response = client_for("head").post(
        reverse("service-create"), _complaint_form(book, subject_unit=org.b1a.pk)
    )
    assert response.status_code == 302
    assert Ticket.objects.get().handler == personas.head


def test_the_api_refuses_recusal_with_a_clear_message(api_for, book, personas, org):
    body = {
        "type": "complaint",
        "customer": book.mine.pk,
        "channel": "phone",
        "content": "理财经理误导销售",
        "subject_rm": "rm",
    }
    refused = api_for("rm").post("/api/tickets/", body, format="json")
    assert refused.status_code == 400
    assert "回避" in refused.json()["error"]["fields"]["handler"][0]
    refused = api_for("head").post(
        "/api/tickets/",
        {**body, "subject_rm": None, "subject_unit": org.b1a.pk, "handler": "rm"},
        format="json",
    )
    assert refused.status_code == 400
    accepted = api_for("head").post("/api/tickets/", body, format="json")
    assert accepted.status_code == 201
    row = accepted.json()
    assert {
        "id",
        "type",
        "customer",
        "state",
        "received_at",
        "due_at",
        "handler",
        "cause_class",
    } <= set(row)
    assert row["handler"] == "head" and row["state"] == "received"


def test_dispatching_to_the_rm_complained_about_is_refused(api_for, book, personas):
    ticket = take(personas.head, customer=book.mine, subject_rm=personas.rm)
    refused = api_for("head").post(
        f"/api/tickets/{ticket.pk}/move/", {"to": "dispatched", "handler": "rm"}, format="json"
    )
    assert refused.status_code == 400
    assert "回避" in refused.json()["error"]["fields"]["handler"][0]
    ok = api_for("head").post(
        f"/api/tickets/{ticket.pk}/move/",
        {"to": "dispatched", "handler": "colleague"},
        format="json",
    )
    # The colleague cannot see the customer: refused as well, with its own reason.
    assert ok.status_code == 400


# --- states -------------------------------------------------------------------------------


def test_a_complaint_closes_only_with_cause_root_cause_and_a_rectification(book, personas):
    ticket = take(personas.rm, customer=book.mine)
    move(actor=personas.rm, obj=ticket, to=Ticket.State.IN_HAND)
    move(actor=personas.rm, obj=ticket, to=Ticket.State.ANSWERED)
    with pytest.raises(ValidationError) as refused:
        move_ticket(actor=personas.rm, ticket=ticket, to=Ticket.State.CLOSED)
    assert {"cause_class", "upheld", "root_cause"} <= set(refused.value.message_dict)
    ticket.cause_class, ticket.upheld, ticket.root_cause = "business", True, "转存规则未告知"
    ticket.save()
    with pytest.raises(ValidationError):
        move_ticket(actor=personas.rm, ticket=ticket, to=Ticket.State.CLOSED)
    Rectification.objects.create(
        ticket=ticket, action="增加转存提示", owner=personas.rm, due_on=date(2026, 12, 1)
    )
    move_ticket(actor=personas.rm, ticket=ticket, to=Ticket.State.CLOSED)
    assert ticket.state == "closed" and ticket.closed_at


def test_sent_back_goes_to_the_dispatcher_who_dispatches_again(book, personas):
    from service.services import dispatch

    ticket = take(personas.head, customer=book.mine)
    dispatch(actor=personas.head, ticket=ticket, handler=personas.rm)
    move(actor=personas.rm, obj=ticket, to=Ticket.State.SENT_BACK)
    dispatch(actor=personas.head, ticket=ticket, handler=personas.head)
    assert ticket.state == "dispatched"


def test_follow_up_and_chase_are_logged_events(client_for, book, personas):
    ticket = take(personas.rm, customer=book.mine)
    for kind in ("follow_up", "chase"):
        client_for("head").post(reverse("service-event", args=[ticket.pk]), {"kind": kind})
    assert list(ticket.events.values_list("kind", flat=True)) == ["follow_up", "chase"]


def test_upheld_service_complaints_are_one_queryset_for_the_scorecards(book, personas):
    ticket = take(personas.head, customer=book.mine, subject_rm=personas.rm)
    Ticket.objects.filter(pk=ticket.pk).update(cause_class="service", upheld=True, state="closed")
    take(personas.head, customer=book.mine)
    assert list(
        Ticket.objects.upheld_service_complaints().values_list("subject_rm", flat=True)
    ) == [personas.rm.pk]


# --- the relationship loop ----------------------------------------------------------------


def _wealthy(personas):
    return CustomerFactory(primary_rm=personas.rm, asset_tier=AssetTier.objects.get(code="wealth"))


def test_a_wealth_customers_complaint_plans_a_retention_visit(personas, client_for):
    customer = _wealthy(personas)
    ticket = take(personas.head, customer=customer)
    assert ticket.service_level == "priority"
    visit = Visit.objects.get(customer=customer)
    assert ticket.retention_visit == visit and visit.rm == personas.rm
    page = client_for("rm").get(reverse("customers-detail", args=[customer.pk]))
    assert reverse("visits-detail", args=[visit.pk]) in page.content.decode()


def test_a_receiver_of_retention_needed_takes_the_follow_up_over(personas):
    @receiver(retention_needed)
    def open_opportunity(sender, ticket, customer, rm, **kwargs):
        return "opportunities"

    try:
        ticket = take(personas.head, customer=_wealthy(personas))
    finally:
        retention_needed.disconnect(open_opportunity)
    assert ticket.retention_by == "opportunities"
    assert not Visit.objects.exists()


def test_a_complaint_below_the_wealth_tier_opens_no_follow_up(book, personas):
    take(personas.rm, customer=book.mine)
    assert not Visit.objects.exists()


# --- gifts --------------------------------------------------------------------------------


def test_a_gift_over_the_limit_is_given_only_after_a_heads_approval(book, personas):
    gift = Gift(customer=book.mine, item="茶叶礼盒", value=Decimal("500"), occasion="春节")
    with pytest.raises(ValidationError):
        record_gift(actor=personas.rm, gift=gift, given=True)
    gift = record_gift(
        actor=personas.rm,
        gift=Gift(customer=book.mine, item="茶叶礼盒", value=Decimal("500"), occasion="春节"),
    )
    with pytest.raises(ValidationError):
        give_gift(actor=personas.rm, gift=gift)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied: not a head
        approve_gift(actor=personas.rm, gift=gift)
    approve_gift(actor=personas.head, gift=gift)
    give_gift(actor=personas.rm, gift=gift)
    assert gift.given_on == date.today() or gift.given_on is not None


def test_a_small_gift_is_given_at_once_and_the_limit_is_the_admins(book, personas):
    gift = record_gift(
        actor=personas.rm,
        gift=Gift(customer=book.mine, item="贺卡", value=Decimal("200"), occasion="生日"),
        given=True,
    )
    assert gift.given_on is not None
    GiftPolicy.objects.create(approval_above=Decimal("100"))
    with pytest.raises(ValidationError):
        record_gift(
            actor=personas.rm,
            gift=Gift(customer=book.mine, item="贺卡", value=Decimal("150"), occasion="生日"),
            given=True,
        )


def test_the_api_refuses_an_unapproved_gift_over_the_limit(api_for, book):
    body = {"customer": book.mine.pk, "item": "购物卡", "value": "800.00", "occasion": "中秋"}
    refused = api_for("rm").post("/api/gifts/", {**body, "given": True}, format="json")
    assert refused.status_code == 400 and "value" in refused.json()["error"]["fields"]
    recorded = api_for("rm").post("/api/gifts/", body, format="json").json()
    assert api_for("rm").post(f"/api/gifts/{recorded['id']}/give/").status_code == 400
    assert api_for("rm").post(f"/api/gifts/{recorded['id']}/approve/").status_code == 403
    assert api_for("head").post(f"/api/gifts/{recorded['id']}/approve/").status_code == 200
    given = api_for("rm").post(f"/api/gifts/{recorded['id']}/give/")
    assert given.status_code == 200 and given.json()["given_on"]


def test_the_yearly_total_per_customer(book, personas):
    for value in ("100", "150"):
        record_gift(
            actor=personas.rm,
            gift=Gift(customer=book.mine, item="鲜花", value=Decimal(value), occasion="生日"),
            given=True,
        )
    record_gift(
        actor=personas.rm,
        gift=Gift(customer=book.mine, item="礼盒", value=Decimal("900"), occasion="春节"),
    )
    year = date.today().year
    (row,) = Gift.objects.visible_to(personas.head).yearly_totals(year)
    assert row["total"] == Decimal("250") and row["gifts"] == 2
    assert not Gift.objects.visible_to(personas.other_rm).yearly_totals(year)


# --- the festival calendar ----------------------------------------------------------------

PUBLISHED = {
    2026: {"spring": "2026-02-17", "dragon_boat": "2026-06-19", "mid_autumn": "2026-09-25"},
    2027: {"spring": "2027-02-06", "dragon_boat": "2027-06-09", "mid_autumn": "2027-09-15"},
    2028: {"spring": "2028-01-26", "dragon_boat": "2028-05-28", "mid_autumn": "2028-10-03"},
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_festival_dates_match_the_published_ones(year):
    found = {f.code: f.day.isoformat() for f in festivals_in(year)}
    for code, day in PUBLISHED[year].items():
        assert found[code] == day
    assert (
        found["lantern"] == (date.fromisoformat(found["spring"]) + timedelta(days=14)).isoformat()
    )


def test_double_ninth_and_a_bank_date():
    from service.models import BankDate

    assert {f.code: f.day for f in festivals_in(2026)}["double_ninth"] == date(2026, 10, 18)
    BankDate.objects.create(name="行庆日", month=11, day=18)
    assert date(2026, 11, 18) in [f.day for f in festivals_in(2026)]
    assert lunar_to_solar(2026, 8, 15) == date(2026, 9, 25)


def test_the_double_ninth_care_list_holds_only_customers_over_60(client_for, personas):
    old = CustomerFactory(primary_rm=personas.rm, birth_date=date(1950, 1, 1), name="老客户")
    young = CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 1, 1), name="年轻客户")
    response = client_for("rm").get(reverse("service-care"), {"day": "2026-10-10"})
    (section,) = response.context["festivals"]
    assert section["festival"].code == "double_ninth"
    assert old in section["customers"] and young not in section["customers"]


def test_the_care_list_puts_the_most_valuable_first_and_filters_by_tier(client_for, personas):
    wealth = AssetTier.objects.get(code="wealth")
    small = CustomerFactory(primary_rm=personas.rm, monthly_avg_assets=1000)
    big = CustomerFactory(primary_rm=personas.rm, monthly_avg_assets=3_000_000, asset_tier=wealth)
    response = client_for("rm").get(reverse("service-care"), {"day": "2026-09-20"})
    (section,) = response.context["festivals"]
    assert section["customers"][:2] == [big, small]
    response = client_for("rm").get(
        reverse("service-care"), {"day": "2026-09-20", "tier": "wealth"}
    )
    assert response.context["festivals"][0]["customers"] == [big]


def test_care_list_bad_parameters_answer_404(client_for):
    for params in ({"day": "x"}, {"tier": "nope"}, {"day": "1900-01-01"}):
        assert client_for("rm").get(reverse("service-care"), params).status_code == 404


def test_lunar_birthdays_show_on_the_care_list(client_for, personas):
    # Born on lunar 8/16 (1980-09-25); in 2026 the lunar 8/16 is 26 September.
    customer = CustomerFactory(
        primary_rm=personas.rm, birth_date=date(1980, 9, 25), lunar_birthday=True
    )
    response = client_for("rm").get(reverse("service-care"), {"day": "2026-09-20"})
    assert customer in response.context["birthdays"]
    UserFactory  # noqa: B018

"""Pages: taking a ticket, the lists by time left, the 360 panel, statistics, care, gifts;
their query counts do not grow with the rows."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone

from service.models import CareAction, Gift, Ticket
from tests.conftest import count_queries
from tests.factories import CustomerFactory
from tests.service.conftest import take

pytestmark = pytest.mark.django_db


def test_an_rm_takes_a_complaint_in_one_short_form(client_for, book, personas):
    client = client_for("rm")
    response = client.post(
        reverse("service-create"),
        {
            "ticket_type": "complaint",
            "customer": f"{book.mine.customer_no} {book.mine.name}",
            "channel": "branch",
            "category": "deposits",
            "content": "定期存单到期未按约定转存",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "service-detail", args=[ticket.pk]
    )
    assert ticket.handler == personas.rm and ticket.received_by == personas.rm
    assert ticket.handling_unit == personas.rm.branch
    page = client.get(response["Location"])
    assert b'data-testid="ticket-clock"' in page.content


def test_a_walk_in_needs_a_name(client_for):
    response = client_for("rm").post(
        reverse("service-create"),
        {"ticket_type": "enquiry", "channel": "branch", "category": "other", "content": "咨询"},
    )
    assert response.status_code == 200 and "contact_name" in response.context["form"].errors
    response = client_for("rm").post(
        reverse("service-create"),
        {
            "ticket_type": "enquiry",
            "channel": "branch",
            "category": "other",
            "content": "咨询大额存单",
            "contact_name": "李女士",
            "contact_phone": "13900000000",
        },
    )
    assert response.status_code == 302


def test_a_customer_out_of_scope_cannot_be_named(client_for, book):
    response = client_for("rm").post(
        reverse("service-create"),
        {
            "ticket_type": "complaint",
            "customer": book.other.customer_no,
            "channel": "branch",
            "category": "other",
            "content": "x",
        },
    )
    assert response.status_code == 200 and "customer" in response.context["form"].errors


def test_my_tickets_are_ordered_by_time_left(client_for, book, personas):
    later = take(personas.rm, customer=book.mine, ticket_type="suggestion")
    sooner = take(personas.rm, customer=book.mine, ticket_type="request")
    page = client_for("rm").get(reverse("service-list"))
    assert list(page.context["page_obj"]) == [sooner, later]


def test_a_head_approves_a_second_extension_on_the_page(client_for, book, personas):
    ticket = take(personas.rm, customer=book.mine)
    rm = client_for("rm")
    rm.post(reverse("service-extend", args=[ticket.pk]), {"reason": "需调取监控"})
    rm.post(
        reverse("service-extend", args=[ticket.pk]),
        {"reason": "需总行核实", "days": 20, "customer_notice": "已短信告知"},
    )
    ticket.refresh_from_db()
    due = ticket.due_at
    head = client_for("head")
    page = head.get(reverse("service-detail", args=[ticket.pk]))
    assert page.context["may_approve"]
    pending = page.context["pending_extension"]
    head.post(reverse("service-extension-approve", args=[pending.pk]))
    ticket.refresh_from_db()
    assert ticket.due_at == due + timedelta(days=20)


def _many_tickets(personas, book, n):
    for _ in range(n):
        take(personas.rm, customer=CustomerFactory(primary_rm=personas.rm))
        take(personas.rm)


@pytest.mark.parametrize(
    "persona,url,params",
    [
        ("rm", "service-list", {}),
        ("head", "service-list", {"view": "team"}),
        ("rm", "service-stats", {}),
        ("rm", "service-care", {}),
        ("rm", "service-gifts", {}),
        ("head", "service-events", {}),
    ],
)
def test_query_counts_do_not_grow_with_rows(client_for, personas, book, persona, url, params):
    client = client_for(persona)
    _many_tickets(personas, book, 2)
    few = count_queries(client, reverse(url), params)
    _many_tickets(personas, book, 12)
    for customer in [book.mine, book.assisted]:
        Gift.objects.create(
            customer=customer,
            item="鲜花",
            value=100,
            occasion="生日",
            recorded_by=personas.rm,
            given_on=timezone.localdate(),
        )
        CareAction.objects.create(
            customer=customer, kind="card", occasion="birthday", by=personas.rm
        )
    many = count_queries(client, reverse(url), params)
    assert many <= few + 1, (few, many)


def test_detail_and_360_panel_query_counts(
    client_for, personas, book, django_assert_max_num_queries
):
    ticket = take(personas.rm, customer=book.mine)
    client = client_for("rm")
    few = count_queries(client, reverse("service-detail", args=[ticket.pk]))
    for _ in range(5):
        client.post(reverse("service-event", args=[ticket.pk]), {"kind": "chase", "note": "催"})
    assert count_queries(client, reverse("service-detail", args=[ticket.pk])) == few
    url = reverse("customers-detail", args=[book.mine.pk])
    before = count_queries(client, url)
    for _ in range(6):
        take(personas.rm, customer=book.mine)
        CareAction.objects.create(
            customer=book.mine, kind="call", occasion="illness", by=personas.rm
        )
    assert count_queries(client, url) == before
    page = client.get(url)
    assert b'data-testid="customer-service"' in page.content


def test_monthly_statistics_and_the_xlsx(client_for, personas, book):
    import openpyxl

    now = timezone.localtime()
    take(personas.rm, customer=book.mine, received_at=now)
    take(personas.rm, customer=book.mine, received_at=now - timedelta(days=40))
    take(personas.other_rm, customer=book.other, received_at=now)
    page = client_for("rm").get(reverse("service-stats"))
    assert page.context["total"] == 1
    xlsx = client_for("rm").get(reverse("service-stats"), {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(BytesIO(xlsx.content)).active
    assert sheet["B2"].value == 1
    assert client_for("rm").get(reverse("service-stats"), {"month": "2026-13"}).status_code == 404


def test_the_rm_home_shows_tickets_nearest_their_limit(client_for, personas, book):
    take(personas.rm, customer=book.mine)
    page = client_for("rm").get(reverse("home"))
    assert b'data-testid="home-tickets"' in page.content


def test_bad_list_parameters_answer_404(client_for):
    for params in ({"view": "x"}, {"state": "x"}, {"type": "x"}):
        assert client_for("rm").get(reverse("service-list"), params).status_code == 404


def test_a_gift_over_the_limit_cannot_be_recorded_as_given_on_the_page(client_for, book):
    response = client_for("rm").post(
        reverse("service-gift-create"),
        {
            "customer": book.mine.customer_no,
            "item": "购物卡",
            "value": "1000",
            "occasion": "春节",
            "given": "on",
        },
    )
    assert response.status_code == 200 and "value" in response.context["form"].errors
    assert not Gift.objects.exists()


def test_an_rm_organises_a_salon_and_invites_a_customer(client_for, book, personas):
    from service.models import Event

    client = client_for("rm")
    response = client.post(
        reverse("service-events"),
        {"name": "理财沙龙", "kind": "salon", "starts_at": "2026-12-05T14:00", "place": "网点"},
    )
    event = Event.objects.get()
    assert response["Location"] == reverse("service-event-detail", args=[event.pk])
    assert event.organiser == personas.rm and event.branch == personas.rm.branch
    client.post(response["Location"], {"customer": book.mine.customer_no})
    client.post(response["Location"], {"customer": book.other.customer_no})
    assert list(event.invitees.values_list("customer", flat=True)) == [book.mine.pk]


def test_the_360_panel_shows_care_spending_against_the_tiers_budget(client_for, book, personas):
    from customers.models import AssetTier
    from service.models import CareBudget

    tier = AssetTier.objects.get(code="wealth_mgmt")
    book.mine.asset_tier = tier
    book.mine.save()
    year = timezone.localdate().year
    CareBudget.objects.create(year=year, tier=tier, amount=1000)
    Gift.objects.create(
        customer=book.mine,
        item="鲜花",
        value=120,
        occasion="生日",
        recorded_by=personas.rm,
        given_on=timezone.localdate(),
    )
    CareAction.objects.create(
        customer=book.mine, kind="card", occasion="birthday", cost=30, by=personas.rm
    )
    page = client_for("rm").get(reverse("customers-detail", args=[book.mine.pk]))
    assert page.context is not None
    html = page.content.decode()
    assert "150.00" in html and "1,000.00" in html


def test_a_letter_is_dated_when_it_was_received_and_its_clock_runs_from_there(
    client_for, api_for, book
):
    received = timezone.localtime() - timedelta(days=5)
    form = {
        "ticket_type": "complaint",
        "customer": book.mine.customer_no,
        "channel": "letter",
        "category": "fees",
        "content": "来信投诉收费",
    }
    client = client_for("rm")
    client.post(
        reverse("service-create"), {**form, "received_at": received.strftime("%Y-%m-%dT%H:%M")}
    )
    ticket = Ticket.objects.get()
    assert ticket.due_at.date() == (received + timedelta(days=15)).date()
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(reverse("service-create"), {**form, "received_at": future})
    assert "received_at" in refused.context["form"].errors
    api = api_for("rm")
    body = {"type": "complaint", "customer": book.mine.pk, "channel": "letter", "content": "x"}
    too_old = (timezone.now() - timedelta(days=90)).isoformat()
    assert (
        api.post("/api/tickets/", {**body, "received_at": too_old}, format="json").status_code
        == 400
    )
    created = api.post("/api/tickets/", body, format="json").json()
    changed = api.patch(f"/api/tickets/{created['id']}/", {"received_at": too_old}, format="json")
    assert changed.json()["received_at"] == created["received_at"]

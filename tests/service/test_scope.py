"""Who sees which ticket, on every page and endpoint, for every persona."""

import pytest
from django.urls import reverse

from service.models import CareAction, Gift, Ticket
from tests.conftest import ALL_PERSONAS, assert_scope, persona_user
from tests.service.conftest import TICKET_SCOPE

pytestmark = pytest.mark.django_db


def _names(tickets, queryset):
    ids = set(queryset.values_list("pk", flat=True))
    return {name for name, ticket in vars(tickets).items() if ticket.pk in ids}


@pytest.mark.parametrize("persona", sorted(TICKET_SCOPE))
def test_a_ticket_is_visible_exactly_when_its_customer_is_or_by_the_walk_in_rule(
    tickets, personas, org, persona
):
    user = persona_user(personas, org, persona)
    assert _names(tickets, Ticket.objects.visible_to(user)) == TICKET_SCOPE[persona]


def test_an_inactive_user_sees_no_ticket(tickets, personas, org):
    assert not Ticket.objects.visible_to(persona_user(personas, org, "inactive")).exists()


def test_a_walk_in_ticket_is_seen_by_its_handler_when_dispatched_to_them(tickets, personas):
    from service.services import dispatch

    dispatch(actor=personas.rm, ticket=tickets.walk_in, handler=personas.colleague)
    assert Ticket.objects.visible_to(personas.colleague).filter(pk=tickets.walk_in.pk).exists()
    # The taker keeps it too.
    assert Ticket.objects.visible_to(personas.rm).filter(pk=tickets.walk_in.pk).exists()


def test_a_ticket_follows_its_customer_when_handed_over(tickets, personas, book):
    book.mine.primary_rm = personas.other_rm
    book.mine.branch = personas.other_rm.branch
    book.mine.save()
    assert not Ticket.objects.visible_to(personas.rm).filter(pk=tickets.mine.pk).exists()
    assert Ticket.objects.visible_to(personas.other_rm).filter(pk=tickets.mine.pk).exists()


@pytest.mark.parametrize("persona", sorted(TICKET_SCOPE))
def test_the_team_list_and_the_api_never_list_a_ticket_out_of_scope(
    tickets, client_for, api_for, persona
):
    client = client_for(persona)
    listed = set()
    for view in ("mine", "team"):
        response = client.get(reverse("service-list"), {"view": view, "state": "all"})
        assert response.status_code == 200
        listed |= {t.pk for t in response.context["page_obj"]}
    expected = {getattr(tickets, n).pk for n in TICKET_SCOPE[persona]}
    assert listed <= expected
    api = api_for(persona).get("/api/tickets/", {"page_size": 200})
    assert api.status_code == 200
    assert {row["id"] for row in api.json()["results"]} == expected


def test_ticket_detail_page_scope(tickets, client_for):
    assert_scope(
        client_for,
        reverse("service-detail", args=[tickets.mine.pk]),
        allowed={"rm", "head", "admin"},
    )


def test_walk_in_ticket_detail_page_scope(tickets, client_for):
    assert_scope(
        client_for,
        reverse("service-detail", args=[tickets.walk_in.pk]),
        allowed={"rm", "head", "admin"},
    )
    assert_scope(
        client_for,
        reverse("service-detail", args=[tickets.other_walk_in.pk]),
        allowed={"other_rm", "other_head", "admin"},
    )


def test_ticket_detail_api_scope(tickets, api_for):
    assert_scope(api_for, f"/api/tickets/{tickets.mine.pk}/", allowed={"rm", "head", "admin"})
    assert_scope(api_for, f"/api/tickets/{tickets.walk_in.pk}/", allowed={"rm", "head", "admin"})


def test_ticket_update_api_scope(tickets, api_for):
    # The colleague sees the assisted customer's ticket; rm (assisting) may not change it.
    assert_scope(
        api_for,
        f"/api/tickets/{tickets.assisted.pk}/",
        method="patch",
        data={"remedy": "致歉"},
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )


def test_ticket_move_api_scope(tickets, api_for, personas, book):
    from tests.service.conftest import take

    def fresh(name):
        return f"/api/tickets/{take(personas.colleague, customer=book.colleagues).pk}/move/"

    assert_scope(
        api_for,
        fresh,
        method="post",
        data={"to": "in_hand"},
        allowed={"colleague"},
        visible={"head", "admin"},
        ok=200,
    )


def test_ticket_move_page_scope(tickets, client_for, personas, book):
    from tests.service.conftest import take

    def fresh(name):
        ticket = take(personas.colleague, customer=book.colleagues)
        return reverse("service-move", args=[ticket.pk])

    assert_scope(
        client_for,
        fresh,
        method="post",
        data={"to": "in_hand"},
        allowed={"colleague"},
        visible={"head", "admin"},
        ok=302,
    )


@pytest.mark.parametrize(
    "name",
    [
        "service-extend",
        "service-event",
        "service-resolution",
        "service-dispatch",
        "service-rectification-add",
    ],
)
def test_ticket_post_pages_scope(tickets, client_for, name):
    assert_scope(
        client_for,
        reverse(name, args=[tickets.mine.pk]),
        method="post",
        data={},
        allowed={"rm", "head", "admin"},
        ok=302,
    )


@pytest.mark.parametrize(
    "name",
    [
        "service-list",
        "service-create",
        "service-stats",
        "service-care",
        "service-care-create",
        "service-gifts",
        "service-gift-create",
    ],
)
def test_lists_and_forms_open_for_every_active_persona(tickets, client_for, name):
    assert_scope(
        client_for,
        reverse(name),
        allowed={"rm", "colleague", "head", "other_rm", "other_head", "admin"},
    )


def test_api_lists_answer_every_active_persona(tickets, api_for):
    for url in ("/api/tickets/", "/api/care-actions/", "/api/gifts/"):
        assert_scope(
            api_for,
            url,
            allowed={"rm", "colleague", "head", "other_rm", "other_head", "admin"},
        )


def test_care_actions_and_gifts_follow_the_customer_scope(book, personas, api_for, client_for):
    action = CareAction.objects.create(
        customer=book.mine, kind="card", occasion="birthday", by=personas.rm
    )
    gift = Gift.objects.create(
        customer=book.mine, item="月饼", value=150, occasion="中秋", recorded_by=personas.rm
    )
    assert_scope(api_for, f"/api/care-actions/{action.pk}/", allowed={"rm", "head", "admin"})
    assert_scope(api_for, f"/api/gifts/{gift.pk}/", allowed={"rm", "head", "admin"})
    for persona in ALL_PERSONAS[:-1]:
        rows = api_for(persona).get("/api/gifts/").json()["results"]
        assert ({r["id"] for r in rows} == {gift.pk}) == (persona in {"rm", "head", "admin"})
    assert_scope(
        client_for,
        reverse("service-gift-give", args=[gift.pk]),
        method="post",
        allowed={"rm", "head", "admin"},
        ok=302,
    )


def test_extension_approval_and_rectification_scope(tickets, personas, client_for):
    from datetime import date

    from service.models import Rectification
    from service.services import extend

    extend(actor=personas.rm, ticket=tickets.mine, reason="需调取监控")
    second = extend(
        actor=personas.rm, ticket=tickets.mine, reason="需总行核实", customer_notice="已电话告知"
    )
    rect = Rectification.objects.create(
        ticket=tickets.mine, action="修改转存提示", owner=personas.rm, due_on=date(2026, 12, 1)
    )
    assert_scope(
        client_for,
        reverse("service-rectification-done", args=[rect.pk]),
        method="post",
        allowed={"rm", "head", "admin"},
        ok=302,
    )
    statuses = assert_scope(
        client_for,
        reverse("service-extension-approve", args=[second.pk]),
        method="post",
        allowed={"head", "admin"},
        visible={"rm"},
        ok=302,
    )
    assert statuses["head"] == 302


def test_events_pages_scope_and_invitees_follow_the_customer_scope(book, personas, client_for):
    from django.utils import timezone

    from service.models import Event, Invitee

    event = Event.objects.create(
        name="财富沙龙",
        kind="salon",
        starts_at=timezone.now(),
        branch=personas.rm.branch,
        organiser=personas.rm,
    )
    mine = Invitee.objects.create(event=event, customer=book.mine)
    theirs = Invitee.objects.create(event=event, customer=book.colleagues)
    url = reverse("service-event-detail", args=[event.pk])
    assert_scope(client_for, url, allowed={"rm", "colleague", "head", "admin"})
    shown = {i.pk for i, _form in client_for("rm").get(url).context["invitees"]}
    assert shown == {mine.pk}
    assert_scope(
        client_for,
        reverse("service-invitee-update", args=[theirs.pk]),
        method="post",
        data={f"i{theirs.pk}-attended": "true", f"i{theirs.pk}-follow_up": "约下周面谈"},
        allowed={"colleague", "head", "admin"},
        ok=302,
    )
    theirs.refresh_from_db()
    assert theirs.attended is True and theirs.followed_up_at is not None
    assert_scope(
        client_for,
        reverse("service-events"),
        allowed={"rm", "colleague", "head", "other_rm", "other_head", "admin"},
    )
    listed = client_for("other_rm").get(reverse("service-events")).context["page_obj"]
    assert list(listed) == []


@pytest.mark.parametrize(
    "url,body",
    [
        ("/api/tickets/", {"type": "complaint", "channel": "phone", "content": "投诉"}),
        ("/api/care-actions/", {"kind": "call", "occasion": "illness"}),
        ("/api/gifts/", {"item": "鲜花", "value": "99.00", "occasion": "探望"}),
    ],
)
def test_creating_about_a_customer_out_of_scope_reads_as_no_such_customer(book, api_for, url, body):
    for persona in ALL_PERSONAS[:-1]:
        response = api_for(persona).post(url, {**body, "customer": book.mine.pk}, format="json")
        if persona in {"rm", "head", "admin"}:
            assert response.status_code == 201, (persona, response.content)
        else:
            assert response.status_code == 400, persona
            assert "customer" in response.json()["error"]["fields"]
    inactive = api_for("inactive").post(url, {**body, "customer": book.mine.pk}, format="json")
    assert inactive.status_code in (401, 403)


def test_gift_approval_scope_on_the_page_and_the_api(book, personas, client_for, api_for):
    def fresh(name):
        gift = Gift.objects.create(
            customer=book.mine, item="茶叶", value=500, occasion="春节", recorded_by=personas.rm
        )
        return gift

    assert_scope(
        client_for,
        lambda name: reverse("service-gift-approve", args=[fresh(name).pk]),
        method="post",
        allowed={"head", "admin"},
        visible={"rm"},
        ok=302,
    )
    assert_scope(
        api_for,
        lambda name: f"/api/gifts/{fresh(name).pk}/approve/",
        method="post",
        allowed={"head", "admin"},
        visible={"rm"},
    )
    assert_scope(
        api_for,
        lambda name: f"/api/gifts/{fresh(name).pk}/give/",
        method="post",
        allowed={"rm", "head", "admin"},
        ok=400,
    )

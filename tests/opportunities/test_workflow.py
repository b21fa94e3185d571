"""Creating, changing and closing opportunities: the rules of the service, the form and the
API, the history, and what a won deal plans."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from opportunities import services
from opportunities.models import Change, LostReason, Opportunity, Task
from visits.models import Visit
from workflow.models import StateChange

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db


def test_a_new_opportunity_takes_the_first_stage_and_its_probability(personas, book, products):
    o = make_opportunity(book.mine, personas.rm, lines=[(products.deposit, 100000, 800, False)])
    assert (o.stage_id, o.probability, o.amount, o.weighted_amount) == (
        "identified",
        10,
        100000,
        10000,
    )
    assert o.owner == personas.rm and o.expected_revenue == 800


def test_expected_close_date_and_next_step_are_required_and_the_split_adds_up(api_for, book):
    body = {"customer": book.mine.pk, "title": "x", "type": "grow"}
    fields = (
        api_for("rm").post("/api/opportunities/", body, format="json").json()["error"]["fields"]
    )
    assert {"expected_close_on", "next_step", "next_step_on"} <= set(fields)
    body.update(expected_close_on="2030-01-01", next_step="电话", next_step_on="2029-12-01")
    body.update(mode="lead", owner_share=70, assistants=[{"rm": "colleague", "share": 20}])
    fields = (
        api_for("rm").post("/api/opportunities/", body, format="json").json()["error"]["fields"]
    )
    assert "assistants" in fields


def test_only_the_customers_rms_may_assist(api_for, book):
    body = {
        "customer": book.assisted.pk,
        "title": "联合营销",
        "expected_close_on": "2030-01-01",
        "next_step": "电话",
        "next_step_on": "2029-12-01",
        "mode": "lead",
        "owner_share": 60,
    }
    refused = api_for("head").post(
        "/api/opportunities/",
        {**body, "assistants": [{"rm": "other_rm", "share": 40}]},
        format="json",
    )
    assert "assistants" in refused.json()["error"]["fields"]
    made = api_for("head").post(
        "/api/opportunities/", {**body, "assistants": [{"rm": "rm", "share": 40}]}, format="json"
    )
    assert made.status_code == 201 and made.json()["owner"] == "colleague"
    assert made.json()["assistants"] == [{"rm": "rm", "share": 40}]


def test_lost_needs_a_reason_and_other_needs_a_note(personas, book):
    o = make_opportunity(book.mine, personas.rm)
    with pytest.raises(ValidationError) as error:
        services.move_opportunity(actor=personas.rm, opportunity=o, to="lost")
    assert "lost_reason" in error.value.message_dict
    other = LostReason.objects.get(needs_note=True)
    with pytest.raises(ValidationError) as error:
        services.move_opportunity(actor=personas.rm, opportunity=o, to="lost", lost_reason=other)
    assert "lost_note" in error.value.message_dict
    services.move_opportunity(
        actor=personas.rm, opportunity=o, to="lost", lost_reason=other, lost_note="客户移民"
    )
    o.refresh_from_db()
    assert o.closed_at and o.lost_reason == other and o.probability == 0
    with pytest.raises(ValidationError):  # a closed one moves no more
        services.move_opportunity(actor=personas.rm, opportunity=o, to="contacted")


def test_won_plans_a_follow_up_visit_and_a_thank_you_within_24_hours(personas, book, products):
    o = make_opportunity(book.mine, personas.rm, lines=[(products.deposit, 1000, 0, False)])
    book.mine.risk_grade, book.mine.risk_assessed_on = "C1", timezone.localdate()
    book.mine.save()
    services.move_opportunity(actor=personas.rm, opportunity=o, to="won")
    task = Task.objects.get(opportunity=o)
    assert timedelta(hours=23) < task.due_at - timezone.now() <= timedelta(hours=24)
    visit = Visit.objects.get(customer=book.mine, rm=personas.rm)
    assert visit.status == "planned" and visit.planned_start > timezone.now()
    assert Change.objects.get(opportunity=o).kind == "won"


def test_history_days_close_date_pushes_and_amount_changes(client_for, personas, book, products):
    o = make_opportunity(book.mine, personas.rm, lines=[(products.deposit, 1000, 0, False)])
    services.move_opportunity(actor=personas.rm, opportunity=o, to="contacted")
    services.move_opportunity(actor=personas.rm, opportunity=o, to="identified")
    services.update_opportunity(
        actor=personas.rm,
        opportunity=o,
        changes={"expected_close_on": o.expected_close_on + timedelta(days=7)},
        lines=[(products.deposit, 5000, 0, False)],
    )
    o.refresh_from_db()
    assert o.close_pushes == 1 and o.amount == 5000 and o.weighted_amount == 500
    assert [c.kind for c in Change.objects.filter(opportunity=o)] == [
        "advanced",
        "moved_back",
        "close_pushed",
        "amount_changed",
    ]
    assert StateChange.objects.of(o).count() == 2
    page = client_for("rm").get(reverse("opportunities-detail", args=[o.pk])).content.decode()
    assert "推迟 1 次" in page


def test_an_assisting_rm_may_not_move_through_the_service(personas, opps):
    with pytest.raises(PermissionDenied):
        services.move_opportunity(actor=personas.rm, opportunity=opps.assisted, to="contacted")


def test_create_from_a_visit_and_from_a_suggestion_in_one_step(client_for, personas, book):
    from opportunities.models import Suggestion
    from tests.factories import VisitFactory

    visit = VisitFactory(customer=book.mine, rm=personas.rm, purpose="了解理财需求")
    client = client_for("rm")
    url = reverse("opportunities-create") + f"?customer={book.mine.pk}&visit={visit.pk}"
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(customer=book.mine.pk, visit=visit.pk, mode="alone", owner_share=100)
    response = client.post(reverse("opportunities-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Opportunity.objects.get(visit=visit).source == "visit"

    suggestion = Suggestion.objects.create(
        customer=book.mine, category="fund", rank=1, peer_share=50, computed_on=timezone.localdate()
    )
    client.post(reverse("opportunities-suggestion-create", args=[suggestion.pk]))
    made = Opportunity.objects.get(source="suggestion")
    assert made.category == "fund" and made.type == "grow"
    suggestion.refresh_from_db()
    assert suggestion.dismissed_until == timezone.localdate() + timedelta(days=90)


def test_board_shows_count_and_amount_per_stage(client_for, personas, book, products):
    for _ in range(3):
        make_opportunity(book.mine, personas.rm, lines=[(products.deposit, 2000, 0, False)])
    columns = client_for("rm").get(reverse("opportunities-board")).context["columns"]
    first = columns[0]
    assert (first["stage"].code, first["count"], first["amount"]) == ("identified", 3, 6000)

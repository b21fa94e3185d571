"""The suitability gate (适当性): a product line whose risk level is above the customer's
risk tolerance, or a tolerance assessed too long ago, never gets past "needs confirmed"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Change, Opportunity, Stage, SuitabilityRefusal
from workflow.models import StateChange

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def c2_with_r4(personas, book, products):
    customer = book.mine
    customer.risk_grade = "C2"
    customer.risk_assessed_on = timezone.localdate() - timedelta(days=30)
    customer.save()
    opportunity = make_opportunity(
        customer, personas.rm, lines=[(products.equity, 300000, 3000, False)]
    )
    for stage in ("contacted", "needs_confirmed"):
        from opportunities.services import move_opportunity

        move_opportunity(actor=personas.rm, opportunity=opportunity, to=stage)
    return opportunity


def snapshot(opportunity):
    fresh = Opportunity.objects.get(pk=opportunity.pk)
    return (
        fresh.stage_id,
        fresh.probability,
        fresh.weighted_amount,
        fresh.stage_entered_at,
        StateChange.objects.of(fresh).count(),
        Change.objects.filter(opportunity=fresh).count(),
    )


def test_c2_customer_and_r4_product_cannot_reach_proposal_through_the_api(api_for, c2_with_r4):
    before = snapshot(c2_with_r4)
    response = api_for("rm").post(
        f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": "proposal"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    (message,) = error["fields"]["stage"]
    assert "C2" in message and "R4" in message and "股票基金" in message
    assert snapshot(c2_with_r4) == before
    refusal = SuitabilityRefusal.objects.get(opportunity=c2_with_r4)
    assert (refusal.customer_grade, refusal.product_level, refusal.reason) == (
        "C2",
        "R4",
        "too_risky",
    )
    assert refusal.to_stage == "proposal" and refusal.actor.username == "rm"


def test_c2_customer_and_r4_product_cannot_reach_proposal_through_the_page(client_for, c2_with_r4):
    before = snapshot(c2_with_r4)
    client = client_for("rm")
    url = reverse("opportunities-move", args=[c2_with_r4.pk])
    response = client.post(url, {"stage": "proposal"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "C2" in page and "R4" in page
    assert snapshot(c2_with_r4) == before
    assert SuitabilityRefusal.objects.filter(opportunity=c2_with_r4).count() == 1


def test_no_stage_past_needs_confirmed_is_reachable_either(api_for, c2_with_r4):
    for stage in ("negotiation", "won"):
        response = api_for("head").post(
            f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": stage}, format="json"
        )
        assert response.status_code == 400, stage
    assert Opportunity.objects.get(pk=c2_with_r4.pk).stage_id == "needs_confirmed"


def test_an_expired_assessment_blocks_even_a_high_enough_grade(api_for, c2_with_r4, book):
    book.mine.risk_grade = "C5"
    book.mine.risk_assessed_on = timezone.localdate() - timedelta(days=400)
    book.mine.save()
    response = api_for("rm").post(
        f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": "proposal"}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["stage"]
    assert "C5" in message and "R4" in message
    assert SuitabilityRefusal.objects.get().reason == "expired"


def test_a_missing_grade_blocks(api_for, c2_with_r4, book):
    book.mine.risk_grade = ""
    book.mine.risk_assessed_on = None
    book.mine.save()
    response = api_for("rm").post(
        f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": "proposal"}, format="json"
    )
    assert response.status_code == 400
    assert SuitabilityRefusal.objects.get().reason == "no_grade"


def test_a_suitable_customer_passes_and_the_history_is_written(api_for, c2_with_r4, book):
    book.mine.risk_grade = "C4"
    book.mine.save()
    response = api_for("rm").post(
        f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": "proposal"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "proposal"
    assert body["probability"] == Stage.objects.get(pk="proposal").probability
    assert [c.to_state for c in StateChange.objects.of(c2_with_r4)] == [
        "contacted",
        "needs_confirmed",
        "proposal",
    ]


def test_the_message_is_in_english_for_an_english_reader(api_for, c2_with_r4, personas):
    personas.rm.language = "en"
    personas.rm.save()
    response = api_for("rm").post(
        f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": "proposal"}, format="json"
    )
    (message,) = response.json()["error"]["fields"]["stage"]
    assert "risk tolerance C2 is below the risk level R4" in message


def test_the_chinese_message_names_grade_and_level(api_for, c2_with_r4):
    response = api_for("rm").post(
        f"/api/opportunities/{c2_with_r4.pk}/move/", {"stage": "proposal"}, format="json"
    )
    (message,) = response.json()["error"]["fields"]["stage"]
    assert "风险" in message


def test_won_needs_the_dual_recording_ticked(api_for, personas, book, products):
    from opportunities.services import move_opportunity

    book.mine.risk_grade = "C5"
    book.mine.risk_assessed_on = timezone.localdate()
    book.mine.save()
    opportunity = make_opportunity(
        book.mine, personas.rm, lines=[(products.equity, 300000, 3000, False)]
    )
    move_opportunity(actor=personas.rm, opportunity=opportunity, to="negotiation")
    response = api_for("rm").post(
        f"/api/opportunities/{opportunity.pk}/move/", {"stage": "won"}, format="json"
    )
    assert response.status_code == 400
    assert "双录" in response.json()["error"]["fields"]["stage"][0]
    patch = api_for("rm").patch(
        f"/api/opportunities/{opportunity.pk}/",
        {"lines": [{"product": "EQ", "amount": "300000", "dual_recorded": True}]},
        format="json",
    )
    assert patch.status_code == 200, patch.json()
    response = api_for("rm").post(
        f"/api/opportunities/{opportunity.pk}/move/", {"stage": "won"}, format="json"
    )
    assert response.status_code == 200, response.json()

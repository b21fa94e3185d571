from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import CUSTOMER_SCOPE, PERSONAS
from tests.factories import VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db
REQUIRED = {
    "id",
    "customer",
    "rm",
    "channel",
    "status",
    "planned_start",
    "planned_end",
    "purpose",
    "outcome",
    "next_visit_on",
}


@pytest.fixture
def visits(book):
    started = timezone.now() - timedelta(hours=3)
    return {
        key: VisitFactory(customer=c, rm=c.primary_rm, planned_start=started)
        for key, c in vars(book).items()
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_and_detail_follow_the_scope(api_for, visits, persona):
    client = api_for(persona)
    rows = client.get("/api/visits/").json()["results"]
    assert {k for k, v in visits.items() if v.pk in {r["id"] for r in rows}} == CUSTOMER_SCOPE[
        persona
    ]
    assert all(set(r) >= REQUIRED for r in rows)
    for key, visit in visits.items():
        status = client.get(f"/api/visits/{visit.pk}/").status_code
        assert status == (200 if key in CUSTOMER_SCOPE[persona] else 404)


def test_list_filters(api_for, visits, book):
    client = api_for("head")
    assert [
        r["id"] for r in client.get("/api/visits/", {"customer": book.mine.pk}).json()["results"]
    ] == [visits["mine"].pk]
    assert {r["rm"] for r in client.get("/api/visits/", {"rm": "colleague"}).json()["results"]} == {
        "colleague"
    }
    assert client.get("/api/visits/", {"status": "completed"}).json()["results"] == []
    later = (timezone.now() + timedelta(days=30)).isoformat()
    assert client.get("/api/visits/", {"start_after": later}).json()["results"] == []


def payload(customer, **overrides):
    start = timezone.now() + timedelta(days=1)
    data = {
        "customer": customer.pk,
        "channel": "phone",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(minutes=30)).isoformat(),
        "purpose": "到期提醒",
    }
    data.update(overrides)
    return data


def test_create_for_a_customer_in_scope(api_for, book, personas):
    response = api_for("rm").post("/api/visits/", payload(book.mine), format="json")
    assert response.status_code == 201 and response.json()["rm"] == "rm"


@pytest.mark.parametrize(
    ("target", "overrides", "field"),
    [
        ("other", {}, "customer"),
        ("mine", {"planned_end": "2020-01-01T00:00:00+08:00"}, "planned_end"),
    ],
)
def test_bad_creates_are_refused(api_for, book, target, overrides, field):
    response = api_for("rm").post(
        "/api/visits/", payload(getattr(book, target), **overrides), format="json"
    )
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm", 200), ("colleague", 404), ("head", 200), ("other_rm", 404), ("admin", 200)],
)
def test_update_follows_the_edit_rule(api_for, visits, persona, status):
    response = api_for(persona).patch(
        f"/api/visits/{visits['mine'].pk}/", {"place": "网点"}, format="json"
    )
    assert response.status_code == status


def test_complete_plans_the_follow_up(api_for, visits):
    visit = visits["mine"]
    body = {
        "outcome": "客户同意续存",
        "purpose_met": True,
        "next_step": "办理续存",
        "next_visit_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    response = api_for("rm").post(f"/api/visits/{visit.pk}/complete/", body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "completed" and data["outcome"] == "客户同意续存" and data["follow_up"]
    assert Visit.objects.get(pk=data["follow_up"]).is_planned


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": ""}, "outcome"),
        ({"outcome": "x", "next_visit_on": "2020-01-01"}, "next_visit_on"),
    ],
)
def test_bad_outcomes_are_refused(api_for, visits, body, field):
    visit = visits["mine"]
    response = api_for("rm").post(f"/api/visits/{visit.pk}/complete/", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    visit.refresh_from_db()
    assert visit.is_planned


def test_a_cancelled_visit_cannot_be_completed_through_the_api(api_for, visits):
    visit = visits["mine"]
    visit.status = Visit.Status.CANCELLED
    visit.save()
    response = api_for("rm").post(
        f"/api/visits/{visit.pk}/complete/", {"outcome": "x"}, format="json"
    )
    assert response.status_code == 400


def test_the_schema_still_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))

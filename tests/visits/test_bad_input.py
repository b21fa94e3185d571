"""No query parameter of a visit page may produce a server error."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db

NOT_A_NUMBER = ["abc", "1.5", "²", "-1", "1e3", "99999999999999999999999", " "]
NOT_A_DAY = ["abc", "2026-13-01", "0001-01-01", "9999-12-31", "0027-02-01", "²"]
NOT_A_MONTH = ["abc", "2026-13", "0001-01", "9999-12", "1-1-1", "-5-1", "²-1"]

PAGES = [
    ("visits-list", {"status": ["x", *NOT_A_NUMBER], "mine": ["x"], "page": NOT_A_NUMBER}),
    ("visits-create", {"customer": NOT_A_NUMBER}),
    ("visits-calendar", {"month": NOT_A_MONTH, "day": NOT_A_DAY, "view": ["x", "week"]}),
    (
        "visits-diary",
        {"rm": NOT_A_NUMBER, "day": NOT_A_DAY, "view": ["x", "week"]},
    ),
    ("visits-coverage", {"rm": NOT_A_NUMBER, "branch": NOT_A_NUMBER, "page": NOT_A_NUMBER}),
    ("visits-customer-options", {"customer": ["%", "\x00", "'"], "q": ["%", "\x00"]}),
]


@pytest.mark.parametrize("persona", ["rm", "head"])
@pytest.mark.parametrize(("name", "params"), PAGES, ids=[p[0] for p in PAGES])
def test_no_query_parameter_of_a_visit_page_is_a_server_error(
    client_for, book, persona, name, params
):
    client = client_for(persona)
    for key, values in params.items():
        extra = {"view": "week"} if key == "day" and name == "visits-calendar" else {}
        for value in values:
            status = client.get(reverse(name), {key: value, **extra}).status_code
            assert status in (200, 404), (key, value, status)


@pytest.mark.parametrize("value", [v for v in NOT_A_NUMBER if v.strip()])
def test_a_diary_of_a_user_that_is_not_a_number_is_404(client_for, value):
    assert client_for("head").get(reverse("visits-diary"), {"rm": value}).status_code == 404


def test_the_diary_week_at_the_ends_of_the_calendar_is_404(client_for):
    client = client_for("rm")
    for day in ("0001-01-01", "9999-12-31"):
        for view in ("day", "week"):
            response = client.get(reverse("visits-diary"), {"day": day, "view": view})
            assert response.status_code == 404, (day, view)


def test_the_visit_pages_of_a_visit_take_no_bad_parameter(client_for, book):
    visit = VisitFactory(customer=book.mine)
    client = client_for("rm")
    for name in ("visits-detail", "visits-brief", "visits-edit", "visits-complete"):
        assert client.get(reverse(name, args=[visit.pk]), {"x": "²"}).status_code == 200


API_FILTERS = {
    "customer": NOT_A_NUMBER,
    "status": ["x"],
    "channel": ["x"],
    "rm": ["\x00", "%"],
    "start_after": ["abc", "0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00:00+14:00"],
    "start_before": ["0001-01-01", "9999-12-31T23:59:59-12:00"],
}


@pytest.mark.parametrize("key", API_FILTERS)
def test_no_filter_of_the_visit_api_is_a_server_error(api_for, book, key):
    client = api_for("rm")
    for value in API_FILTERS[key]:
        status = client.get("/api/visits/", {key: value}).status_code
        assert status in (200, 400, 404), (key, value, status)


# --- implausible dates ----------------------------------------------------------------------

IMPLAUSIBLE = ["0027-02-01T08:05:43", "1900-01-01T09:00:00", "2199-01-01T09:00:00"]


@pytest.mark.parametrize("start", IMPLAUSIBLE)
def test_the_api_refuses_a_visit_in_an_implausible_year(api_for, book, start):
    body = {
        "customer": book.mine.pk,
        "channel": "phone",
        "planned_start": start + "+08:00",
        "planned_end": start.replace("09:00", "10:00") + "+08:00",
        "purpose": "到期提醒",
    }
    response = api_for("rm").post("/api/visits/", body, format="json")
    assert response.status_code == 400
    assert "planned_start" in response.json()["error"]["fields"]
    assert not Visit.objects.exists()


def test_the_api_refuses_to_move_a_visit_to_an_implausible_year(api_for, book):
    visit = VisitFactory(customer=book.mine)
    body = {
        "planned_start": "1900-01-01T09:00:00+08:00",
        "planned_end": "1900-01-01T10:00:00+08:00",
    }
    response = api_for("rm").patch(f"/api/visits/{visit.pk}/", body, format="json")
    assert response.status_code == 400 and "planned_start" in response.json()["error"]["fields"]
    visit.refresh_from_db()
    assert visit.planned_start > timezone.now()


@pytest.mark.parametrize("start", IMPLAUSIBLE)
def test_the_form_refuses_a_visit_in_an_implausible_year(client_for, book, start):
    data = {
        "customer": book.mine.customer_no,
        "channel": "on_site",
        "planned_start": start[:16],
        "planned_end": start[:16],
        "purpose": "介绍大额存单",
    }
    response = client_for("rm").post(reverse("visits-create"), data)
    errors = response.context["form"].errors
    assert "planned_start" in errors and "planned_end" in errors
    assert "年至" in errors["planned_start"][0]
    assert not Visit.objects.exists()


def test_a_next_visit_in_an_implausible_year_is_refused(client_for, api_for, book):
    visit = VisitFactory(customer=book.mine, planned_start=timezone.now() - timedelta(hours=2))
    response = client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]),
        {"summary": "x", "next_visit_on": "9999-12-31", "completed_at": ""},
    )
    assert "next_visit_on" in response.context["form"].errors
    response = api_for("rm").post(
        f"/api/visits/{visit.pk}/complete/",
        {"outcome": "x", "next_visit_on": "9999-12-31"},
        format="json",
    )
    assert response.status_code == 400 and "next_visit_on" in response.json()["error"]["fields"]
    visit.refresh_from_db()
    assert visit.is_planned


@pytest.mark.parametrize(
    "value", ["abc", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1900-01-01"]
)
def test_the_api_refuses_a_bad_completion_time_with_a_field_error(api_for, book, value):
    visit = VisitFactory(customer=book.mine, planned_start=timezone.now() - timedelta(hours=2))
    response = api_for("rm").post(
        f"/api/visits/{visit.pk}/complete/", {"outcome": "x", "completed_at": value}, format="json"
    )
    assert response.status_code == 400 and "completed_at" in response.json()["error"]["fields"]
    response = api_for("rm").post(
        "/api/visits/",
        {
            "customer": book.mine.pk,
            "channel": "phone",
            "planned_start": value,
            "planned_end": value,
            "purpose": "x",
        },
        format="json",
    )
    assert response.status_code == 400 and "planned_start" in response.json()["error"]["fields"]
    visit.refresh_from_db()
    assert visit.is_planned and Visit.objects.count() == 1


@pytest.mark.parametrize(
    "value", ["abc", "0001-01-01T00:00", "9999-12-31T23:59", "1900-01-01T09:00"]
)
def test_the_forms_refuse_a_bad_time_with_a_field_error(client_for, book, value):
    visit = VisitFactory(customer=book.mine, planned_start=timezone.now() - timedelta(hours=2))
    client = client_for("rm")
    response = client.post(
        reverse("visits-complete", args=[visit.pk]), {"summary": "x", "completed_at": value}
    )
    assert "completed_at" in response.context["form"].errors
    data = {
        "customer": book.mine.customer_no,
        "channel": "phone",
        "planned_start": value,
        "planned_end": value,
        "purpose": "x",
    }
    response = client.post(reverse("visits-edit", args=[visit.pk]), data)
    assert "planned_start" in response.context["form"].errors
    planned_start = visit.planned_start
    visit.refresh_from_db()
    assert visit.is_planned and visit.planned_start == planned_start

"""Overlapping bookings are confirmed, not silently accepted; a visit is completed only after
it starts, at the time it actually ended."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def at(hours, minutes=0):
    """A time two days from now at a round hour, local time."""
    day = timezone.localtime() + timedelta(days=2)
    return day.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(
        hours=hours, minutes=minutes
    )


def form_data(customer, start, end, **extra):
    return {
        "customer": f"{customer.customer_no} {customer.name}",
        "channel": "on_site",
        "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": end.strftime("%Y-%m-%dT%H:%M"),
        "purpose": "介绍大额存单",
        **extra,
    }


def api_body(customer, start, end, **extra):
    return {
        "customer": customer.pk,
        "channel": "phone",
        "planned_start": start.isoformat(),
        "planned_end": end.isoformat(),
        "purpose": "到期提醒",
        **extra,
    }


# --- overlap ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("same", "start", "end"),
    [
        ("customer", at(0), at(1)),  # the very same booking
        ("customer", at(0, 30), at(1, 30)),
        ("rm", at(0, 15), at(0, 45)),  # another customer of the same RM, inside it
    ],
)
def test_the_form_warns_of_an_overlap_and_books_once_confirmed(
    client_for, book, personas, same, start, end
):
    VisitFactory(customer=book.mine, rm=personas.rm, planned_start=at(0), planned_end=at(1))
    customer = book.mine if same == "customer" else book.assisted
    client = client_for("rm")
    response = client.post(reverse("visits-create"), form_data(customer, start, end))
    assert response.status_code == 200 and Visit.objects.count() == 1
    form = response.context["form"]
    assert list(form.errors) == ["confirm_overlap"]
    html = response.content.decode()
    assert "同一客户经理或同一客户" in html and book.mine.name in html
    assert 'type="checkbox" name="confirm_overlap"' in html

    response = client.post(
        reverse("visits-create"), form_data(customer, start, end, confirm_overlap="on")
    )
    assert response.status_code == 302 and Visit.objects.count() == 2


def test_the_same_customer_with_another_rm_is_an_overlap_too(client_for, book, personas):
    VisitFactory(
        customer=book.assisted, rm=personas.colleague, planned_start=at(0), planned_end=at(1)
    )
    response = client_for("rm").post(
        reverse("visits-create"), form_data(book.assisted, at(0), at(1))
    )
    assert "confirm_overlap" in response.context["form"].errors


@pytest.mark.parametrize(
    ("start", "end", "status", "rm"),
    [
        (at(1), at(2), "planned", "rm"),  # begins when the other ends
        (at(0), at(1), "cancelled", "rm"),
        (at(0), at(1), "planned", "colleague"),  # another RM, another customer
    ],
)
def test_what_is_not_an_overlap(client_for, book, personas, start, end, status, rm):
    VisitFactory(
        customer=book.colleagues if rm == "colleague" else book.assisted,
        rm=getattr(personas, rm),
        planned_start=at(0),
        planned_end=at(1),
        status=status,
    )
    response = client_for("rm").post(reverse("visits-create"), form_data(book.mine, start, end))
    assert response.status_code == 302


def test_changing_only_the_place_of_a_confirmed_double_booking_asks_nothing(client_for, book):
    VisitFactory(customer=book.mine, planned_start=at(0), planned_end=at(1))
    visit = VisitFactory(customer=book.mine, planned_start=at(0), planned_end=at(1))
    data = form_data(book.mine, at(0), at(1), place="网点")
    response = client_for("rm").post(reverse("visits-edit", args=[visit.pk]), data)
    assert response.status_code == 302
    response = client_for("rm").post(
        reverse("visits-edit", args=[visit.pk]),
        {**data, "planned_end": at(2).strftime("%Y-%m-%dT%H:%M")},
    )
    assert "confirm_overlap" in response.context["form"].errors


def test_the_api_refuses_an_overlap_unless_confirmed(api_for, book, personas):
    VisitFactory(customer=book.mine, rm=personas.rm, planned_start=at(0), planned_end=at(1))
    client = api_for("rm")
    response = client.post("/api/visits/", api_body(book.mine, at(0), at(1)), format="json")
    assert response.status_code == 400
    assert "confirm_overlap" in response.json()["error"]["fields"]
    assert Visit.objects.count() == 1
    response = client.post(
        "/api/visits/", api_body(book.mine, at(0), at(1), confirm_overlap=True), format="json"
    )
    assert response.status_code == 201 and "confirm_overlap" not in response.json()
    assert Visit.objects.count() == 2


def test_the_api_checks_an_overlap_when_a_visit_moves(api_for, book, personas):
    VisitFactory(customer=book.mine, rm=personas.rm, planned_start=at(0), planned_end=at(1))
    visit = VisitFactory(customer=book.mine, rm=personas.rm, planned_start=at(2), planned_end=at(3))
    client = api_for("rm")
    url = f"/api/visits/{visit.pk}/"
    assert client.patch(url, {"place": "网点"}, format="json").status_code == 200
    moved = {"planned_start": at(0, 30).isoformat(), "planned_end": at(1, 30).isoformat()}
    assert client.patch(url, moved, format="json").status_code == 400
    assert client.patch(url, {**moved, "confirm_overlap": True}, format="json").status_code == 200


def test_an_overlap_with_a_visit_out_of_scope_is_not_shown(client_for, book, personas):
    """The warning names only visits the user may see."""
    VisitFactory(customer=book.other, rm=personas.rm, planned_start=at(0), planned_end=at(1))
    response = client_for("rm").post(reverse("visits-create"), form_data(book.mine, at(0), at(1)))
    assert response.status_code == 302


def test_the_form_query_count_does_not_grow_with_overlaps(client_for, book, personas):
    client = client_for("rm")
    url = reverse("visits-create")
    VisitFactory(customer=book.mine, rm=personas.rm, planned_start=at(0), planned_end=at(1))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.post(url, form_data(book.mine, at(0), at(1)))  # warms the session
    with CaptureQueriesContext(connection) as few:
        client.post(url, form_data(book.mine, at(0), at(1)))
    for n in range(10):
        VisitFactory(customer=book.mine, rm=personas.rm, planned_start=at(0, n), planned_end=at(1))
    with CaptureQueriesContext(connection) as many:
        client.post(url, form_data(book.mine, at(0), at(1)))
    assert len(many) == len(few)


# --- completion ---------------------------------------------------------------------------

NOT_STARTED = "开始之前"


def test_a_visit_cannot_be_completed_before_it_starts(client_for, api_for, book):
    visit = VisitFactory(customer=book.mine, planned_start=at(0), planned_end=at(1))
    response = client_for("rm").get(reverse("visits-complete", args=[visit.pk]))
    assert NOT_STARTED in response.content.decode()
    response = client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]),
        {"summary": "客户同意", "completed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )
    form_error = response.context["form"].errors["completed_at"][0]
    response = api_for("rm").post(
        f"/api/visits/{visit.pk}/complete/", {"outcome": "客户同意"}, format="json"
    )
    assert response.status_code == 400
    api_error = response.json()["error"]["fields"]["completed_at"][0]
    assert NOT_STARTED in form_error and api_error == form_error
    visit.refresh_from_db()
    assert visit.is_planned and visit.completed_at is None


def test_the_detail_page_offers_no_outcome_before_the_start(client_for, book):
    visit = VisitFactory(customer=book.mine, planned_start=at(0), planned_end=at(1))
    html = client_for("rm").get(reverse("visits-detail", args=[visit.pk])).content.decode()
    assert reverse("visits-complete", args=[visit.pk]) not in html


def test_the_outcome_records_the_actual_time(client_for, book):
    start = timezone.localtime() - timedelta(hours=5)
    visit = VisitFactory(customer=book.mine, planned_start=start, planned_end=start)
    page = client_for("rm").get(reverse("visits-complete", args=[visit.pk]))
    assert page.context["form"]["completed_at"].value().date() == timezone.localdate()
    ended = (start + timedelta(hours=1)).replace(second=0, microsecond=0)
    client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]),
        {"summary": "客户同意", "completed_at": ended.strftime("%Y-%m-%dT%H:%M")},
    )
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED and visit.completed_at == ended


@pytest.mark.parametrize("offset", [timedelta(hours=-6), timedelta(hours=2)])
def test_a_completion_time_before_the_start_or_in_the_future_is_refused(client_for, book, offset):
    start = timezone.localtime() - timedelta(hours=5)
    visit = VisitFactory(customer=book.mine, planned_start=start, planned_end=start)
    response = client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]),
        {
            "summary": "x",
            "completed_at": (timezone.localtime() + offset).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert "completed_at" in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.is_planned


def test_the_api_records_the_actual_time(api_for, book):
    start = timezone.now() - timedelta(hours=5)
    visit = VisitFactory(customer=book.mine, planned_start=start, planned_end=start)
    ended = (start + timedelta(minutes=50)).replace(microsecond=0)
    response = api_for("rm").post(
        f"/api/visits/{visit.pk}/complete/",
        {"outcome": "x", "completed_at": ended.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.completed_at == ended


def test_correcting_a_logged_visit_through_the_api_keeps_its_completion_time(api_for, book):
    start = timezone.now() - timedelta(days=2)
    ended = (start + timedelta(hours=1)).replace(microsecond=0)
    visit = VisitFactory(
        customer=book.mine,
        planned_start=start,
        planned_end=start,
        status="completed",
        completed_at=ended,
    )
    response = api_for("rm").post(
        f"/api/visits/{visit.pk}/complete/", {"outcome": "更正"}, format="json"
    )
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.summary == "更正" and visit.completed_at == ended

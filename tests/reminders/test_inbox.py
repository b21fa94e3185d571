from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reminders.models import Reminder
from reminders.services import generate_reminders
from tests.conftest import PERSONAS, count_queries
from tests.factories import CustomerFactory, HoldingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_today(personas, book):
    """Today's reminders: a birthday of rm's customer, a maturity of the colleague's."""
    today = timezone.localdate()
    book.mine.birth_date = (
        today.replace(year=1980)
        if not (today.month == 2 and today.day == 29)
        else date(1980, 2, 29)
    )
    book.mine.save()
    HoldingFactory(customer=book.colleagues, matures_on=today + timedelta(days=7))
    generate_reminders(today)
    return Reminder.objects.all()


@pytest.mark.parametrize(
    ("persona", "count"), [("rm", 1), ("colleague", 1), ("head", 0), ("other_rm", 0), ("admin", 0)]
)
def test_each_persona_sees_only_their_own_reminders(client_for, due_today, persona, count):
    response = client_for(persona).get(reverse("reminders-inbox"))
    assert response.status_code == 200
    assert sum(len(k["reminders"]) for d in response.context["days"] for k in d["kinds"]) == count


def test_unread_count_in_the_navigation_and_read_on_opening(client_for, due_today):
    client = client_for("rm")
    home = client.get(reverse("home"))
    assert home.context["unread_reminders"] == 1
    assert 'data-testid="unread-count"' in home.content.decode()
    assert len(home.context["reminders_today"]) == 1
    client.get(reverse("reminders-inbox"))
    assert client.get(reverse("home")).context["unread_reminders"] == 0


def test_done_and_snooze(client_for, due_today):
    client = client_for("rm")
    reminder = Reminder.objects.get(recipient__username="rm")
    client.post(reverse("reminders-snooze", args=[reminder.pk]), {"until": "week"})
    reminder.refresh_from_db()
    assert reminder.snoozed_until == timezone.localdate() + timedelta(days=7)
    assert client.get(reverse("reminders-inbox")).context["days"] == []
    client.post(reverse("reminders-done", args=[reminder.pk]))
    reminder.refresh_from_db()
    assert reminder.done_at is not None and reminder.state == "done"


@pytest.mark.parametrize("bad", ["", "2020-01-01", "soon"])
def test_a_bad_snooze_changes_nothing(client_for, due_today, bad):
    reminder = Reminder.objects.get(recipient__username="rm")
    client_for("rm").post(reverse("reminders-snooze", args=[reminder.pk]), {"until": bad})
    reminder.refresh_from_db()
    assert reminder.snoozed_until is None


@pytest.mark.parametrize("persona", ["colleague", "head", "other_rm", "admin"])
def test_nobody_else_touches_a_reminder(client_for, due_today, persona):
    reminder = Reminder.objects.get(recipient__username="rm")
    assert (
        client_for(persona).post(reverse("reminders-done", args=[reminder.pk])).status_code == 404
    )
    reminder.refresh_from_db()
    assert reminder.done_at is None


def test_inbox_query_count_does_not_grow(client_for, personas):
    client = client_for("rm")
    today = timezone.localdate()

    def add(n):
        for _ in range(n):
            HoldingFactory(
                customer=CustomerFactory(primary_rm=personas.rm),
                matures_on=today + timedelta(days=1),
            )
        Reminder.objects.all().delete()
        from reminders.models import BranchGeneration

        BranchGeneration.objects.all().delete()
        generate_reminders(today)
        Reminder.objects.update(read_at=timezone.now())

    add(2)
    few = count_queries(client, reverse("reminders-inbox"))
    add(20)
    assert count_queries(client, reverse("reminders-inbox")) == few


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_opens_the_inbox(client_for, persona):
    assert client_for(persona).get(reverse("reminders-inbox")).status_code == 200


def test_the_calendar_feed_carries_open_reminders_as_all_day_events(client, personas, due_today):
    from icalendar import Calendar

    from visits.models import CalendarFeed

    feed = CalendarFeed.for_user(personas.rm)
    body = client.get(reverse("visits-feed", args=[feed.token])).content
    events = [
        e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["uid"]).startswith("reminder-")
    ]
    assert len(events) == 1
    assert events[0].decoded("dtstart") == timezone.localdate()
    assert "生日" in str(events[0]["summary"])
    Reminder.objects.update(done_at=timezone.now())
    body = client.get(reverse("visits-feed", args=[feed.token])).content
    assert b"reminder-" not in body


def test_the_demo_shows_reminders_on_first_login(db):
    from django.core.management import call_command

    call_command("seed_demo", "--customers", "300")
    assert Reminder.objects.filter(remind_on=timezone.localdate()).exists()

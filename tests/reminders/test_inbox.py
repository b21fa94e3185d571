from datetime import date, timedelta
from html.parser import HTMLParser

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


def inbox_badge(response):
    """The unread count the navigation shows beside the inbox."""
    (item,) = [i for i in response.context["nav_items"] if i["name"] == "reminders-inbox"]
    return item["badge"]


def test_unread_count_in_the_navigation_and_read_on_opening(client_for, due_today):
    client = client_for("rm")
    home = client.get(reverse("home"))
    assert inbox_badge(home) == 1
    assert 'data-testid="nav-badge"' in home.content.decode()
    assert len(home.context["reminders_today"]) == 1
    client.get(reverse("reminders-inbox"))
    assert inbox_badge(client.get(reverse("home"))) == 0


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


class _Forms(HTMLParser):
    """The inbox's forms as a browser sees them: action, fields and submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": [], "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"].append((attrs.get("name"), attrs.get("value") or ""))
        elif tag == "button" and self.forms and attrs.get("name"):
            self.forms[-1]["buttons"].append((attrs["name"], attrs.get("value", "")))


def click(client, page, action, button_label_value):
    """Submit the form posting to ``action`` with the button of that value, sending every
    other field as the browser would (an untouched date input goes as an empty value)."""
    parser = _Forms()
    parser.feed(page.content.decode())
    form = next(f for f in parser.forms if f["action"] == action)
    button = next(b for b in form["buttons"] if b[1] == button_label_value)
    data = {}
    for name, value in [button, *form["fields"]]:
        data.setdefault(name, []).append(value)
    return client.post(action, data)


@pytest.mark.parametrize(("button", "days"), [("day", 1), ("week", 7)])
def test_the_snooze_presets_work_as_the_page_posts_them(client_for, due_today, button, days):
    client = client_for("rm")
    reminder = Reminder.objects.get(recipient__username="rm")
    page = client.get(reverse("reminders-inbox"))
    response = click(client, page, reverse("reminders-snooze", args=[reminder.pk]), button)
    reminder.refresh_from_db()
    assert reminder.snoozed_until == timezone.localdate() + timedelta(days=days)
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown and "请选择今天之后的日期" not in shown[0]


def test_the_date_picker_snoozes_until_the_day_picked(client_for, due_today):
    client = client_for("rm")
    reminder = Reminder.objects.get(recipient__username="rm")
    later = timezone.localdate() + timedelta(days=10)
    page = client.get(reverse("reminders-inbox"))
    parser = _Forms()
    parser.feed(page.content.decode())
    action = reverse("reminders-snooze", args=[reminder.pk])
    form = next(f for f in parser.forms if f["action"] == action)
    date_field = next(name for name, _value in form["fields"] if name != "csrfmiddlewaretoken")
    client.post(action, {date_field: later.isoformat()})
    reminder.refresh_from_db()
    assert reminder.snoozed_until == later


def test_two_clicks_on_done_keep_the_first_time(client_for, due_today):
    client = client_for("rm")
    reminder = Reminder.objects.get(recipient__username="rm")
    client.post(reverse("reminders-done", args=[reminder.pk]))
    first = Reminder.objects.get(pk=reminder.pk).done_at
    client.post(reverse("reminders-done", args=[reminder.pk]))
    assert Reminder.objects.get(pk=reminder.pk).done_at == first


def test_a_done_reminder_is_not_snoozed_from_the_page(client_for, due_today):
    client = client_for("rm")
    reminder = Reminder.objects.get(recipient__username="rm")
    client.post(reverse("reminders-done", args=[reminder.pk]))
    response = client.post(reverse("reminders-snooze", args=[reminder.pk]), {"until": "week"})
    reminder.refresh_from_db()
    assert reminder.done_at is not None and reminder.snoozed_until is None
    assert "已完成" in str(list(response.wsgi_request._messages)[-1])


def test_the_page_and_the_api_change_a_reminder_through_the_same_service(
    client_for, api_for, due_today, monkeypatch
):
    from reminders import services

    calls = []
    for name in ("snooze", "mark_done"):
        original = getattr(services, name)
        monkeypatch.setattr(
            services,
            name,
            lambda *a, _name=name, _original=original, **kw: (
                calls.append(_name) or _original(*a, **kw)
            ),
        )
    pk = Reminder.objects.get(recipient__username="rm").pk
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    client_for("rm").post(reverse("reminders-snooze", args=[pk]), {"until": "day"})
    api_for("rm").patch(f"/api/reminders/{pk}/", {"snoozed_until": later}, format="json")
    client_for("rm").post(reverse("reminders-done", args=[pk]))
    api_for("rm").patch(f"/api/reminders/{pk}/", {"done": True}, format="json")
    assert calls == ["snooze", "snooze", "mark_done", "mark_done"]

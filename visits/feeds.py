"""The iCalendar feed a user subscribes to from their phone's calendar app."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Visit

PAST_DAYS = 30
FUTURE_DAYS = 366


def feed_path(feed) -> str:
    return reverse("visits-feed", args=[feed.token])


def feed_events(user):
    """Planned visits of the user (as RM or companion), a month back to a year ahead."""
    now = timezone.now()
    return (
        Visit.objects.visible_to(user)
        .filter(Visit.of_user_q(user), status=Visit.Status.PLANNED)
        .filter(
            planned_start__gte=now - timedelta(days=PAST_DAYS),
            planned_start__lte=now + timedelta(days=FUTURE_DAYS),
        )
        .select_related("customer")
        .order_by("planned_start")
    )


def render_feed(user) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Relationship CRM//visits//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "CRM")
    calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
    local = timezone.get_current_timezone()
    for visit in feed_events(user):
        event = Event()
        event.add("uid", f"visit-{visit.pk}@crm")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", visit.planned_start.astimezone(local))
        event.add("dtend", visit.planned_end.astimezone(local))
        event.add("summary", f"{visit.customer.name}：{visit.purpose}")
        if visit.place:
            event.add("location", visit.place)
        if visit.objective:
            event.add("description", visit.objective)
        calendar.add_component(event)
    for reminder in feed_reminders(user):
        event = Event()
        event.add("uid", f"reminder-{reminder.pk}@crm")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", reminder.remind_on)  # a date: an all-day event
        event.add("dtend", reminder.remind_on + timedelta(days=1))
        event.add("summary", f"[{reminder.kind_label}] {reminder.message}")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_reminders(user):
    """Open reminders of the user, as all-day events, over the same window as the visits."""
    from reminders.models import Reminder

    today = timezone.localdate()
    return (
        Reminder.objects.visible_to(user)
        .filter(done_at__isnull=True)
        .filter(
            remind_on__gte=today - timedelta(days=PAST_DAYS),
            remind_on__lte=today + timedelta(days=FUTURE_DAYS),
        )
        .for_display()
        .order_by("remind_on", "id")
    )

"""Reminders about visits: follow-ups due and planned visits left open. Registered from
``VisitsConfig.ready``; see ``reminders/registry.py`` for what a kind says."""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from reminders.registry import Due, Kind, format_day, register

from .models import Visit


def _local_day_bounds(day):
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, start + timedelta(days=1)


def _visits(ids):
    return Visit.objects.filter(pk__in=ids)


def _visit_link(reminder):
    return reverse("visits-detail", args=[reminder.subject_pk])


def follow_up_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for visit_id, customer_id, rm_id in Visit.objects.filter(
            status=Visit.Status.COMPLETED,
            next_visit_on=target,
            customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            yield Due(visit_id, customer_id, rm_id, target, lead)


def follow_up_message(reminder):
    visit = reminder.subject
    return _("Follow up with %(name)s on %(day)s: %(step)s") % {
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
        "step": visit.next_step or visit.purpose,
    }


def visit_overdue_due(day, branch_ids, leads):
    """Visits still "planned" the day after they were to end."""
    start, end = _local_day_bounds(day - timedelta(days=1))
    for visit_id, customer_id, rm_id in Visit.objects.filter(
        status=Visit.Status.PLANNED,
        planned_end__gte=start,
        planned_end__lt=end,
        customer__in=Customer.objects.live_in(branch_ids),
    ).values_list("id", "customer_id", "customer__primary_rm_id"):
        yield Due(visit_id, customer_id, rm_id, day - timedelta(days=1), -1)


def visit_overdue_message(reminder):
    return _("The visit to %(name)s planned for %(day)s is still open: log it or cancel it.") % {
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


register(
    Kind(
        key="follow_up",
        label=gettext_lazy("Follow-up due"),
        subject_type="visit",
        find_due=follow_up_due,
        load_subjects=_visits,
        message=follow_up_message,
        link=_visit_link,
    )
)
register(
    Kind(
        key="visit_overdue",
        label=gettext_lazy("Planned visit overdue"),
        subject_type="visit",
        find_due=visit_overdue_due,
        message=visit_overdue_message,
        link=_visit_link,
        default_leads={"": [-1]},
        copy_to_assisting_rms=False,
    )
)

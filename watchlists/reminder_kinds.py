"""Reminders about risk warnings: review due, measure due, check due, escalated to you.
Registered from ``WatchlistsConfig.ready``; see ``reminders/registry.py``."""

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from reminders.registry import Due, Kind, format_day, register

from .models import ACTIVE_STATES, Escalation, LoanCheck, Measure, WatchItem
from .services import ESCALATED_KIND


def _items(ids):
    return WatchItem.objects.filter(pk__in=ids)


def _item_link(reminder):
    return reverse("watchlists-detail", args=[reminder.subject_pk])


def review_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for pk, customer_id, owner_id in WatchItem.objects.filter(
            state__in=ACTIVE_STATES,
            review_on=target,
            customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("id", "customer_id", "owner_id"):
            yield Due(pk, customer_id, owner_id, target, lead)


def review_message(reminder):
    return _("Review the %(level)s warning on %(name)s by %(day)s") % {
        "level": reminder.subject.get_level_display(),
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


def measure_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for pk, customer_id, owner_id in Measure.objects.filter(
            done_on__isnull=True,
            due_on=target,
            item__state__in=ACTIVE_STATES,
            item__customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("id", "item__customer_id", "owner_id"):
            yield Due(pk, customer_id, owner_id, target, lead)


def _measures(ids):
    return Measure.objects.filter(pk__in=ids)


def measure_message(reminder):
    return _("%(measure)s for %(name)s is due on %(day)s") % {
        "measure": reminder.subject.get_kind_display(),
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


def _measure_link(reminder):
    return reverse("watchlists-detail", args=[reminder.subject.item_id])


def check_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for pk, customer_id, rm_id in LoanCheck.objects.filter(
            done_on__isnull=True,
            due_on=target,
            customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            yield Due(pk, customer_id, rm_id, target, lead)


def _checks(ids):
    return LoanCheck.objects.filter(pk__in=ids)


def check_message(reminder):
    return _("%(check)s of %(name)s is due on %(day)s") % {
        "check": reminder.subject.get_kind_display(),
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


def _check_link(reminder):
    return reverse("watchlists-check", args=[reminder.subject_pk])


def escalated_due(day, branch_ids, leads):
    """Escalations of the day (also written at once by ``services.escalate``; the natural
    key keeps one)."""
    for item_id, customer_id, to_user in Escalation.objects.filter(
        on=day,
        to_user__isnull=False,
        item__customer__in=Customer.objects.live_in(branch_ids),
    ).values_list("item_id", "item__customer_id", "to_user_id"):
        yield Due(item_id, customer_id, to_user, day, 0)


def escalated_message(reminder):
    return _("A %(level)s warning on %(name)s was escalated to you") % {
        "level": reminder.subject.get_level_display(),
        "name": reminder.customer.name,
    }


register(
    Kind(
        key="watch_review",
        label=gettext_lazy("Watch item review due"),
        subject_type="watchitem",
        find_due=review_due,
        load_subjects=_items,
        message=review_message,
        link=_item_link,
        default_leads={"": [1, 0]},
    )
)
register(
    Kind(
        key="watch_measure",
        label=gettext_lazy("Watch measure due"),
        subject_type="watchmeasure",
        find_due=measure_due,
        load_subjects=_measures,
        message=measure_message,
        link=_measure_link,
        default_leads={"": [0]},
        copy_to_assisting_rms=False,
    )
)
register(
    Kind(
        key="loan_check",
        label=gettext_lazy("Loan check due"),
        subject_type="loancheck",
        find_due=check_due,
        load_subjects=_checks,
        message=check_message,
        link=_check_link,
        default_leads={"": [7, 0]},
    )
)
register(
    Kind(
        key=ESCALATED_KIND,
        label=gettext_lazy("Escalated to you"),
        subject_type="watchitem",
        find_due=escalated_due,
        load_subjects=_items,
        message=escalated_message,
        link=_item_link,
        default_leads={"": [0]},
        copy_to_assisting_rms=False,
    )
)

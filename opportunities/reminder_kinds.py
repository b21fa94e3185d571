"""Reminders about opportunities: next step due, close date passed, gone stale, and a target
list's deadline near. Registered from ``OpportunitiesConfig.ready``. The recipient is the
opportunity's owner (the RM a name of a target list went to)."""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from reminders.registry import Due, Kind, format_day, register

from .models import Opportunity, Stage, TargetEntry


def _opportunities(ids):
    return Opportunity.objects.filter(pk__in=ids)


def _link(reminder):
    return reverse("opportunities-detail", args=[reminder.subject_pk])


def _open_in(branch_ids):
    return Opportunity.objects.open().filter(customer__in=Customer.objects.live_in(branch_ids))


def next_step_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for pk, customer_id, owner_id in (
            _open_in(branch_ids)
            .filter(next_step_on=target)
            .values_list("id", "customer_id", "owner_id")
        ):
            yield Due(pk, customer_id, owner_id, target, lead)


def close_passed_due(day, branch_ids, leads):
    """Open opportunities whose expected close date was yesterday."""
    target = day - timedelta(days=1)
    for pk, customer_id, owner_id in (
        _open_in(branch_ids)
        .filter(expected_close_on=target)
        .values_list("id", "customer_id", "owner_id")
    ):
        yield Due(pk, customer_id, owner_id, target, -1)


def stale_due(day, branch_ids, leads):
    """Open opportunities that go over their stage's limit today: one query per stage."""
    zone = timezone.get_current_timezone()
    for stage in Stage.objects.filter(is_final=False):
        entered = day - timedelta(days=stage.stale_days + 1)
        start = timezone.make_aware(datetime.combine(entered, time.min), zone)
        for pk, customer_id, owner_id in (
            _open_in(branch_ids)
            .filter(
                stage=stage,
                stage_entered_at__gte=start,
                stage_entered_at__lt=start + timedelta(days=1),
            )
            .values_list("id", "customer_id", "owner_id")
        ):
            yield Due(pk, customer_id, owner_id, day, 0)


def target_deadline_due(day, branch_ids, leads):
    """Names of a target list still without feedback, a few days before its deadline."""
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for pk, customer_id, rm_id in TargetEntry.objects.filter(
            target_list__deadline=target,
            feedback="",
            customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("id", "customer_id", "rm_id"):
            yield Due(pk, customer_id, rm_id, target, lead)


register(
    Kind(
        key="opportunity_next_step",
        label=gettext_lazy("Opportunity: next step due"),
        subject_type="opportunity",
        find_due=next_step_due,
        load_subjects=_opportunities,
        message=lambda r: (
            _("%(name)s · %(title)s: %(step)s by %(day)s.")
            % {
                "name": r.customer.name,
                "title": r.subject.title,
                "step": r.subject.next_step,
                "day": format_day(r.due_on),
            }
        ),
        link=_link,
        default_leads={"": [1, 0]},
        copy_to_assisting_rms=False,
    )
)
register(
    Kind(
        key="opportunity_close_passed",
        label=gettext_lazy("Opportunity: close date passed"),
        subject_type="opportunity",
        find_due=close_passed_due,
        load_subjects=_opportunities,
        message=lambda r: (
            _(
                "%(name)s · %(title)s was expected to close on %(day)s: win it, lose it or give "
                "a new date."
            )
            % {"name": r.customer.name, "title": r.subject.title, "day": format_day(r.due_on)}
        ),
        link=_link,
        default_leads={"": [-1]},
        copy_to_assisting_rms=False,
    )
)
register(
    Kind(
        key="opportunity_stale",
        label=gettext_lazy("Opportunity: gone stale"),
        subject_type="opportunity",
        find_due=stale_due,
        load_subjects=_opportunities,
        message=lambda r: (
            _("%(name)s · %(title)s has sat in its stage too long.")
            % {"name": r.customer.name, "title": r.subject.title}
        ),
        link=_link,
        copy_to_assisting_rms=False,
    )
)
register(
    Kind(
        key="target_list_deadline",
        label=gettext_lazy("Target list: deadline near"),
        subject_type="targetentry",
        find_due=target_deadline_due,
        message=lambda r: (
            _("Give your feedback on %(name)s by %(day)s (target list).")
            % {"name": r.customer.name, "day": format_day(r.due_on)}
        ),
        link=lambda r: reverse("opportunities-target-entry", args=[r.subject_pk]),
        default_leads={"": [3, 1]},
        copy_to_assisting_rms=False,
    )
)

"""Writes to visits that touch more than one row."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Visit

FOLLOW_UP_HOUR = 10
FOLLOW_UP_MINUTES = 60


@transaction.atomic
def save_visit(*, actor: User, visit: Visit, companions=None, materials=None) -> Visit:
    visit._history_user = actor
    visit.save()
    if companions is not None:
        visit.companions.set([c for c in companions if c.pk != visit.rm_id])
    if materials is not None:
        visit.materials.set(materials)
    return visit


@transaction.atomic
def complete_visit(
    *,
    actor: User,
    visit: Visit,
    completed_at: datetime | None = None,
    needs=(),
    products=(),
    plan_follow_up: bool = True,
) -> Visit:
    """Record the outcome, completed at ``completed_at`` (now when not given; the callers
    check it with ``validate_completed_at``). With a next-visit date, the follow-up is
    planned at once: same customer, RM and channel, at 10:00 on that day, its purpose the
    agreed next step."""
    visit.status = Visit.Status.COMPLETED
    visit.completed_at = completed_at or visit.completed_at or timezone.now()
    if visit.next_visit_on and plan_follow_up and visit.follow_up_id is None:
        start = timezone.make_aware(
            datetime.combine(visit.next_visit_on, time(FOLLOW_UP_HOUR)),
            timezone.get_current_timezone(),
        )
        follow_up = Visit.objects.create(
            customer=visit.customer,
            rm=visit.rm,
            channel=visit.channel,
            planned_start=start,
            planned_end=start + timedelta(minutes=FOLLOW_UP_MINUTES),
            place=visit.place,
            purpose=visit.next_step or visit.purpose,
        )
        visit.follow_up = follow_up
    visit._history_user = actor
    visit.save()
    visit.needs.set(needs)
    visit.products_discussed.set(products)
    return visit

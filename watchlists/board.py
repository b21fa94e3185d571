"""The branch board's figures, taken from the watch items by a claimed job.

Rule (house style: figures for heads come from snapshots): the heat map, the overdue
reviews and checks by RM and the week's new and closed items are read from ``BoardCount`` and
``CheckCount`` rows of the branches the user sees (``Branch.objects.visible_to``), which is the
same scope as the customers a head or risk manager sees: the customers of those branches that
are not archived. ``refresh`` takes them all in two grouped queries and replaces the rows in
one transaction; it runs after the nightly rules and escalation and every 15 minutes (beat),
claimed with a conditional UPDATE so two workers never take them at once. The board says when
they were taken. What is live on the board: the items escalated to the user and the filter by
signal (one item can carry several signals, so it is counted from the items themselves).
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .models import ACTIVE_STATES, BoardCount, BoardSnapshot, CheckCount, LoanCheck, WatchItem

# A claim older than this belongs to a worker that died.
STALE_CLAIM = timedelta(minutes=10)


def refresh(now=None) -> bool:
    """Take the board's figures again; returns whether this call took them."""
    now = now or timezone.now()
    BoardSnapshot.objects.get_or_create(pk=1)
    claimed = (
        BoardSnapshot.objects.filter(pk=1)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    try:
        today = timezone.localdate(now)
        week = now - timedelta(days=7)
        active = Q(state__in=ACTIVE_STATES)
        rows = (
            WatchItem.objects.filter(customer__archived_at__isnull=True)
            .filter(active | Q(opened_at__gte=week) | Q(closed_at__gte=week))
            .order_by()
            .values("customer__branch_id", "owner_id", "kind", "level", "state")
            .annotate(
                items=Count("id", filter=active),
                overdue_reviews=Count("id", filter=active & Q(review_on__lt=today)),
                opened_this_week=Count("id", filter=Q(opened_at__gte=week)),
                closed_this_week=Count("id", filter=Q(closed_at__gte=week)),
            )
        )
        counts = [
            BoardCount(
                branch_id=row["customer__branch_id"],
                owner_id=row["owner_id"],
                kind=row["kind"],
                level=row["level"],
                state=row["state"],
                items=row["items"],
                overdue_reviews=row["overdue_reviews"],
                opened_this_week=row["opened_this_week"],
                closed_this_week=row["closed_this_week"],
            )
            for row in rows
        ]
        checks = [
            CheckCount(branch_id=branch_id, rm_id=rm_id, overdue=n)
            for branch_id, rm_id, n in LoanCheck.objects.filter(
                done_on__isnull=True, due_on__lt=today, customer__archived_at__isnull=True
            )
            .order_by()
            .values_list("customer__branch_id", "customer__primary_rm_id")
            .annotate(n=Count("id"))
        ]
        with transaction.atomic():
            BoardCount.objects.all().delete()
            CheckCount.objects.all().delete()
            BoardCount.objects.bulk_create(counts, batch_size=5000)
            CheckCount.objects.bulk_create(checks, batch_size=5000)
            BoardSnapshot.objects.filter(pk=1).update(taken_at=now)
    finally:
        BoardSnapshot.objects.filter(pk=1, claimed_at=now).update(claimed_at=None)
    return True


def taken_at():
    return BoardSnapshot.objects.filter(pk=1).values_list("taken_at", flat=True).first()

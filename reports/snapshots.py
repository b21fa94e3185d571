"""The nightly snapshot: claim the days not written yet, compute them with the registered
providers, and write the facts per RM × day and per branch × day.

Exactly once: every day is a ``SnapshotDay`` row (unique day). A run claims the days it will
write with one conditional UPDATE (no claim, or a claim older than ``STALE``), so a second run
at the same time finds nothing to do; each month of days is written in one transaction with
the days' ``finished_at``, and the facts' unique keys refuse a second copy. A day missed while
the workers were down is written by the next run (catch-up from the last finished day).
"""

import time as clock
import uuid
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import SEGMENT_LENGTH, Branch, User

from .caching import forget_all
from .measures import STORED_CODES
from .models import BranchDay, Breakdown, RmDay, SnapshotDay
from .providers import Batch, active_providers

STALE = timedelta(hours=2)
BATCH_SIZE = 2000


def backfill_days() -> int:
    return getattr(settings, "REPORTS_BACKFILL_DAYS", 400)


def ancestors(path: str) -> list[int]:
    return [int(path[i : i + SEGMENT_LENGTH - 1]) for i in range(0, len(path), SEGMENT_LENGTH)]


def days_to_write(until: date) -> list[date]:
    """Every day after the last finished one up to ``until`` (a first run: the last
    ``REPORTS_BACKFILL_DAYS`` days), plus days an earlier run claimed and left unfinished."""
    last = SnapshotDay.objects.filter(finished_at__isnull=False).aggregate(m=Max("day"))["m"]
    start = last + timedelta(days=1) if last else until - timedelta(days=backfill_days() - 1)
    missing = [start + timedelta(days=n) for n in range((until - start).days + 1)]
    SnapshotDay.objects.bulk_create(
        [SnapshotDay(day=d) for d in missing], ignore_conflicts=True, batch_size=BATCH_SIZE
    )
    return missing


def claim(until: date) -> tuple[str, list[date]]:
    """Claim every unfinished day up to ``until``: one conditional UPDATE; returns the
    token and the claimed days (none if another run holds them)."""
    days_to_write(until)
    token = uuid.uuid4().hex
    now = timezone.now()
    SnapshotDay.objects.filter(day__lte=until, finished_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE)
    ).update(claim=token, claimed_at=now)
    days = list(
        SnapshotDay.objects.filter(claim=token, finished_at__isnull=True)
        .order_by("day")
        .values_list("day", flat=True)
    )
    return token, days


def quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into ranges of at most one calendar quarter: each range is
    one set of queries and one transaction."""
    out = []
    for day in days:
        if out and out[-1][1] + timedelta(days=1) == day and quarter(out[-1][0]) == quarter(day):
            out[-1][1] = day
        else:
            out.append([day, day])
    return [tuple(r) for r in out]


def rm_branches() -> dict:
    return dict(
        User.objects.filter(role=User.Role.RM, is_active=True, branch__isnull=False).values_list(
            "pk", "branch_id"
        )
    )


def compute(start: date, end: date, rm_branch: dict | None = None) -> Batch:
    batch = Batch(start=start, end=end, rm_branch=rm_branch or rm_branches())
    for provider in active_providers():
        provider.compute(batch)
    return batch


def write(batch: Batch) -> int:
    rm_rows = []
    branch_sums = defaultdict(lambda: defaultdict(int))
    paths = dict(Branch.objects.values_list("pk", "path"))
    for (rm_id, day), figures in batch.facts.items():
        branch_id = batch.rm_branch[rm_id]
        rm_rows.append(RmDay(rm_id=rm_id, branch_id=branch_id, day=day, **figures))
        for up in ancestors(paths[branch_id]):
            sums = branch_sums[(up, day)]
            for code, value in figures.items():
                sums[code] += value
    # Every RM has a row every day, even an empty one: a report can tell "nothing" from
    # "not written".
    have = set(batch.facts)
    for rm_id, branch_id in batch.rm_branch.items():
        for day in batch.days:
            if (rm_id, day) not in have:
                rm_rows.append(RmDay(rm_id=rm_id, branch_id=branch_id, day=day))
                for up in ancestors(paths[branch_id]):
                    branch_sums[(up, day)]
    RmDay.objects.bulk_create(rm_rows, ignore_conflicts=True, batch_size=BATCH_SIZE)
    BranchDay.objects.bulk_create(
        [
            BranchDay(branch_id=b, day=d, **{c: v for c, v in sums.items() if c in STORED_CODES})
            for (b, d), sums in branch_sums.items()
        ],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    Breakdown.objects.bulk_create(
        [
            Breakdown(rm_id=rm, branch_id=batch.rm_branch[rm], day=d, dimension=dim, key=k, value=v)
            for (rm, d, dim, k), v in batch.breakdowns.items()
        ],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    return len(rm_rows)


def run_snapshots(until: date | None = None, progress=None) -> dict:
    """Write every day not written yet up to ``until`` (default: yesterday, the last whole
    day). Returns {"days": n, "rows": n}. Safe to run twice, at once or after an outage."""
    until = until or timezone.localdate() - timedelta(days=1)
    token, days = claim(until)
    rm_branch = rm_branches()
    written = rows = 0
    for start, end in runs(days):
        started = clock.perf_counter()
        batch = compute(start, end, rm_branch)
        with transaction.atomic():
            # The claim is checked again inside the transaction: a run that lost its claim
            # (it went stale and another run took it) writes nothing.
            still_ours = (
                SnapshotDay.objects.select_for_update()
                .filter(claim=token, day__gte=start, day__lte=end, finished_at__isnull=True)
                .count()
            )
            if still_ours != (end - start).days + 1:
                continue
            rows += write(batch)
            seconds = (clock.perf_counter() - started) / still_ours
            SnapshotDay.objects.filter(claim=token, day__gte=start, day__lte=end).update(
                finished_at=timezone.now(), seconds=seconds
            )
        written += still_ours
        forget_all()
        if progress:
            progress(written, len(days))
    return {"days": written, "rows": rows}

"""Hand-made daily facts: figures whose every value a test can compute by hand."""

from datetime import date, timedelta

from django.utils import timezone

from reports.models import BranchDay, RmDay, SnapshotDay


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def write_facts(rm, start, end, *, branch_rows=True, **figures):
    """Rows for ``rm`` (and, with ``branch_rows``, for each branch above the RM's branch
    with the same figures) on every day from ``start`` to ``end``; marks the days written."""
    from reports.snapshots import ancestors

    for day in days(start, end):
        RmDay.objects.update_or_create(
            rm=rm, day=day, defaults={"branch_id": rm.branch_id, **figures}
        )
        if branch_rows:
            for branch_id in ancestors(rm.branch.path):
                row, _ = BranchDay.objects.get_or_create(branch_id=branch_id, day=day)
                for code, value in figures.items():
                    setattr(row, code, getattr(row, code) + value)
                row.save()
        SnapshotDay.objects.update_or_create(day=day, defaults={"finished_at": timezone.now()})

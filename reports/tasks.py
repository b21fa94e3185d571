from datetime import date

from celery import shared_task

from . import snapshots


@shared_task(acks_late=True)
def take_snapshots(until: str | None = None):
    """Nightly: write the daily facts of every day not written yet (catching up an outage)."""
    from .warm import warm

    result = snapshots.run_snapshots(date.fromisoformat(until) if until else None)
    warm()
    return result


@shared_task
def send_monday_packs(day: str | None = None):
    """Monday 07:30: the meeting pack to every head, by email and WeCom."""
    from . import monday

    return monday.send_packs(date.fromisoformat(day) if day else None)

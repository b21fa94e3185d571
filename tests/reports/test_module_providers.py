from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from reports.models import RmDay
from reports.snapshots import run_snapshots

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
D = date(2026, 3, 10)


def at(day):
    return datetime(day.year, day.month, day.day, 10, tzinfo=SH)


@pytest.mark.skipif(not apps.is_installed("watchlists"), reason="watchlists not installed")
def test_watch_items_new_open_escalated_closed_and_checks_overdue(personas, book, settings):
    from tests.watchlists.conftest import open_item
    from watchlists.models import Escalation, LoanCheck, WatchItem

    settings.REPORTS_BACKFILL_DAYS = 5
    old = open_item(book.mine, personas.rm)
    WatchItem.objects.filter(pk=old.pk).update(opened_at=at(D - timedelta(days=10)))
    short = open_item(book.mine, personas.rm)
    WatchItem.objects.filter(pk=short.pk).update(
        opened_at=at(D - timedelta(days=2)),
        closed_at=at(D - timedelta(days=1)),
        state="resolved",
    )
    Escalation.objects.create(item=old, level=1, to_user=personas.head, on=D, overdue_since=D)
    LoanCheck.objects.create(customer=book.mine, kind="first", due_on=D - timedelta(days=3))
    run_snapshots(D)

    def row(day):
        r = RmDay.objects.get(rm=personas.rm, day=day)
        return (r.watch_new, r.watch_open, r.watch_closed, r.watch_in_time, r.watch_escalated)

    assert row(D - timedelta(days=2)) == (1, 2, 0, 0, 0)
    assert row(D - timedelta(days=1)) == (0, 1, 1, 1, 0)
    assert row(D) == (0, 1, 0, 0, 1)
    assert RmDay.objects.get(rm=personas.rm, day=D).checks_overdue == 1

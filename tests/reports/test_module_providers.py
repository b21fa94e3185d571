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


@pytest.mark.skipif(not apps.is_installed("opportunities"), reason="opportunities not installed")
def test_pipeline_amounts_follow_the_opportunities_splits(personas, book, settings):
    from opportunities.models import Opportunity, Stage
    from tests.factories import ProductFactory
    from tests.opportunities.conftest import ensure_stages, make_opportunity

    ensure_stages()
    settings.REPORTS_BACKFILL_DAYS = 5
    wealth = ProductFactory(code="WM", name="稳健理财", category="wealth", risk_level="R1")
    mine = make_opportunity(book.mine, personas.rm, lines=[(wealth, 100000, 500, False)])
    shared = make_opportunity(
        book.assisted,
        personas.colleague,
        lines=[(wealth, 200000, 1000, False)],
        mode="lead",
        owner_share=60,
        assistants=[(personas.rm, 40)],
    )
    won = Stage.objects.filter(is_won=True).first()
    lost = Stage.objects.filter(is_final=True, is_won=False).first()
    Opportunity.objects.filter(pk=mine.pk).update(
        created_at=at(D - timedelta(days=3)), closed_at=at(D), stage=lost, amount=100000
    )
    Opportunity.objects.filter(pk=shared.pk).update(
        created_at=at(D - timedelta(days=2)),
        closed_at=at(D - timedelta(days=1)),
        stage=won,
        amount=200000,
    )
    run_snapshots(D)

    def row(rm, day):
        r = RmDay.objects.get(rm=rm, day=day)
        return (r.pipeline_new, r.pipeline_won, r.pipeline_lost, r.opportunities_open)

    assert row(personas.rm, D - timedelta(days=3)) == (100000, 0, 0, 1)
    # The shared one: 60 % to its owner, 40 % to the assisting rm.
    assert row(personas.rm, D - timedelta(days=2)) == (80000, 0, 0, 1)
    assert row(personas.colleague, D - timedelta(days=2)) == (120000, 0, 0, 1)
    assert row(personas.rm, D - timedelta(days=1)) == (0, 80000, 0, 1)
    assert row(personas.colleague, D - timedelta(days=1)) == (0, 120000, 0, 0)
    assert row(personas.rm, D) == (0, 0, 100000, 0)


@pytest.mark.skipif(not apps.is_installed("service"), reason="service not installed")
def test_complaints_received_overdue_and_upheld_against_the_rm(personas, book, org, settings):
    from service.models import Ticket

    settings.REPORTS_BACKFILL_DAYS = 5

    def complaint(**extra):
        values = {
            "ticket_type": "complaint",
            "customer": book.mine,
            "channel": "phone",
            "content": "柜台等候时间太长",
            "received_by": personas.head,
            "handling_unit": org.b1,
        }
        values.update(extra)
        return Ticket.objects.create(**values)

    complaint(received_at=at(D - timedelta(days=3)), due_at=at(D - timedelta(days=1)))
    complaint(
        received_at=at(D - timedelta(days=2)),
        due_at=at(D + timedelta(days=10)),
        answered_at=at(D - timedelta(days=1)),
        closed_at=at(D),
        state="closed",
        cause_class="service",
        upheld=True,
        subject_rm=personas.colleague,
    )
    run_snapshots(D)

    def row(rm, day):
        r = RmDay.objects.get(rm=rm, day=day)
        return (r.complaints_received, r.complaints_overdue, r.complaints_upheld)

    assert row(personas.rm, D - timedelta(days=3)) == (1, 0, 0)
    assert row(personas.rm, D - timedelta(days=2)) == (1, 0, 0)
    assert row(personas.rm, D) == (0, 1, 0)  # the first, unanswered past its limit
    assert row(personas.colleague, D) == (0, 0, 1)

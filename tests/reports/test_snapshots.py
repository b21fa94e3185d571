import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from customers.models import AssetTier, TierChange
from reports.models import BranchDay, Breakdown, CreditPolicy, RmDay, SnapshotDay
from reports.snapshots import run_snapshots
from tests.factories import BalanceFactory, CustomerFactory, VisitFactory
from visits.models import CoverageRule, DiaryNote

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(day, hour=10):
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


@pytest.fixture
def short_backfill(settings):
    settings.REPORTS_BACKFILL_DAYS = 5


def fact(rm, day, code):
    return getattr(RmDay.objects.get(rm=rm, day=day), code)


def test_daily_averages_follow_the_month_and_carry_the_last_loaded_one(personas, book):
    BalanceFactory(
        customer=book.mine,
        month=date(2026, 1, 1),
        avg_financial_assets=300000,
        avg_deposits=100000,
        avg_loans=50000,
    )
    BalanceFactory(customer=book.assisted, month=date(2026, 1, 1), avg_financial_assets=999)
    BalanceFactory(customer=book.mine, month=date(2026, 2, 1), avg_financial_assets=600000)
    run_snapshots(date(2026, 3, 2))  # 26 Feb … 2 Mar: March not loaded yet
    assert fact(personas.rm, date(2026, 2, 26), "avg_assets") == Decimal("600000")
    assert fact(personas.rm, date(2026, 3, 2), "avg_assets") == Decimal("600000")
    assert fact(personas.colleague, date(2026, 2, 26), "avg_assets") == 0


def test_assisting_rms_share_balances_when_the_policy_says_so(personas, book):
    CreditPolicy.objects.create(primary_share=70)
    BalanceFactory(customer=book.assisted, month=date(2026, 2, 1), avg_financial_assets=1000)
    run_snapshots(date(2026, 2, 5))
    assert fact(personas.colleague, date(2026, 2, 5), "avg_assets") == Decimal("700")
    assert fact(personas.rm, date(2026, 2, 5), "avg_assets") == Decimal("300")


def test_customers_new_and_visits_by_channel(personas, book, short_backfill):
    day = date(2026, 5, 10)
    CustomerFactory(primary_rm=personas.rm, created_at=at(day))
    done = VisitFactory(
        customer=book.mine,
        channel="phone",
        planned_start=at(day),
        status="completed",
        completed_at=at(day, 11),
    )
    VisitFactory(customer=book.mine, planned_start=at(day, 14))
    VisitFactory(customer=book.mine, planned_start=at(day, 15), status="cancelled")
    DiaryNote.objects.create(rm=personas.rm, day=day, text="拜访两位客户")
    DiaryNote.objects.create(rm=personas.rm, day=day - timedelta(days=1), text="")
    assert done.pk
    run_snapshots(day)
    row = RmDay.objects.get(rm=personas.rm, day=day)
    assert (row.customers_new, row.visits_planned, row.visits_done, row.visits_phone) == (
        1,
        2,
        1,
        1,
    )
    assert row.diary_days == 1
    assert fact(personas.rm, day - timedelta(days=1), "diary_days") == 0
    # The book as it stands: mine and the new one (the archived one is not counted).
    assert row.customers == 2


def test_tier_moves_up_and_down(personas, book, short_backfill):
    day = date(2026, 6, 1)  # default tiers: 理财客户 < 财富客户 < 私人银行客户
    TierChange.objects.create(
        customer=book.mine,
        kind="asset",
        old_value="理财客户",
        new_value="财富客户",
        effective_on=day,
        reason="x",
    )
    TierChange.objects.create(
        customer=book.mine,
        kind="star",
        old_value="五星级",
        new_value="四星级",
        effective_on=day,
        reason="x",
    )
    run_snapshots(day)
    row = RmDay.objects.get(rm=personas.rm, day=day)
    assert (row.tier_up, row.tier_down, row.star_up, row.star_down) == (1, 0, 0, 1)
    assert Breakdown.objects.filter(rm=personas.rm, day=day, dimension="tier").exists()


def test_coverage_against_the_tier_rules(personas, short_backfill):
    tier = AssetTier.objects.get(code="wealth_mgmt")
    CoverageRule.objects.all().delete()
    CoverageRule.objects.create(asset_tier=tier, interval_days=30)
    day = date(2026, 6, 30)
    seen = CustomerFactory(
        primary_rm=personas.rm, asset_tier=tier, created_at=at(day - timedelta(days=90))
    )
    CustomerFactory(
        primary_rm=personas.rm, asset_tier=tier, created_at=at(day - timedelta(days=90))
    )
    CustomerFactory(primary_rm=personas.rm, created_at=at(day - timedelta(days=90)))  # no rule
    VisitFactory(
        customer=seen,
        planned_start=at(day - timedelta(days=10)),
        status="completed",
        completed_at=at(day - timedelta(days=10)),
    )
    run_snapshots(day)
    row = RmDay.objects.get(rm=personas.rm, day=day)
    assert (row.coverage_due, row.coverage_met) == (2, 1)


def test_branch_rows_hold_the_whole_subtree(personas, book, org):
    BalanceFactory(customer=book.mine, month=date(2026, 2, 1), avg_deposits=100)
    BalanceFactory(customer=book.outlet, month=date(2026, 2, 1), avg_deposits=10)
    BalanceFactory(customer=book.other, month=date(2026, 2, 1), avg_deposits=1)
    run_snapshots(date(2026, 2, 3))
    day = date(2026, 2, 3)
    deposits = dict(BranchDay.objects.filter(day=day).values_list("branch__code", "avg_deposits"))
    assert deposits["B1A-O"] == 10
    assert deposits["B1A"] == 110
    assert deposits["B1"] == 110
    assert deposits["B2"] == 1
    assert deposits["HO"] == 111


def test_running_twice_writes_each_day_once(personas, book, short_backfill):
    assert run_snapshots(date(2026, 4, 10))["days"] == 5
    count = RmDay.objects.count()
    assert run_snapshots(date(2026, 4, 10)) == {"days": 0, "rows": 0}
    assert RmDay.objects.count() == count
    assert SnapshotDay.objects.filter(finished_at__isnull=False).count() == 5


def test_a_three_day_outage_is_caught_up(personas, book, short_backfill):
    run_snapshots(date(2026, 4, 10))
    assert run_snapshots(date(2026, 4, 13))["days"] == 3
    days = set(RmDay.objects.filter(rm=personas.rm).values_list("day", flat=True))
    assert {date(2026, 4, 11), date(2026, 4, 12), date(2026, 4, 13)} <= days
    assert len(days) == 8


def test_an_abandoned_claim_is_taken_over_when_stale(personas, book, short_backfill):
    from django.utils import timezone

    from reports.snapshots import claim

    _token, days = claim(date(2026, 4, 10))
    assert len(days) == 5
    assert run_snapshots(date(2026, 4, 10))["days"] == 0  # held by the other run
    SnapshotDay.objects.update(claimed_at=timezone.now() - timedelta(hours=3))
    assert run_snapshots(date(2026, 4, 10))["days"] == 5


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_each_day_once(personas, book, short_backfill):
    errors, results = [], []

    def run():
        try:
            results.append(run_snapshots(date(2026, 4, 10))["days"])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 5]
    assert RmDay.objects.filter(rm=personas.rm).count() == 5


def test_the_nightly_task_writes_and_warms_the_figures(personas, book, short_backfill):
    from reports.models import FigureCache
    from reports.tasks import take_snapshots

    take_snapshots("2026-04-10")
    assert RmDay.objects.filter(day=date(2026, 4, 10)).exists()
    assert FigureCache.objects.count() >= 3 * 7  # seven branches, three grains

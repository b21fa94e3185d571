from datetime import date
from decimal import Decimal

import pytest

from reports.figures import Period, figures, trend, with_comparisons
from reports.models import ExternalFigure, RmDay
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_end(personas):
    rm = personas.rm
    write_facts(rm, date(2024, 12, 1), date(2024, 12, 31), avg_deposits=80, customers=8)
    write_facts(rm, date(2025, 1, 1), date(2025, 1, 31), avg_deposits=90, customers=9)
    write_facts(rm, date(2025, 12, 1), date(2025, 12, 31), avg_deposits=100, customers=10)
    write_facts(
        rm, date(2026, 1, 1), date(2026, 1, 31), avg_deposits=160, customers=12, customers_new=1
    )
    RmDay.objects.filter(rm=rm, day=date(2025, 12, 15)).update(customers_new=2)
    return rm


def by_code(rows):
    return {row["measure"]: row for row in rows}


def test_periods_of_each_grain():
    day = date(2026, 1, 1)
    assert Period.of("week", day) == Period("week", date(2025, 12, 29), date(2026, 1, 4))
    assert Period.of("quarter", date(2026, 5, 20)).start == date(2026, 4, 1)
    assert Period.of("quarter", date(2026, 5, 20)).end == date(2026, 6, 30)
    assert Period.of("month", day).previous() == Period.of("month", date(2025, 12, 1))
    assert Period.of("quarter", day).previous().start == date(2025, 10, 1)
    assert Period.of("year", day).last_year().start == date(2025, 1, 1)
    assert Period.of("month", date(2024, 2, 29)).last_year().start == date(2023, 2, 1)


def test_month_across_the_year_end_with_mom_yoy_and_since_the_year_start(year_end):
    rows = by_code(
        with_comparisons(RmDay.objects.filter(rm=year_end), Period.of("month", date(2026, 1, 10)))
    )
    deposits = rows["avg_deposits"]
    assert deposits["value"] == Decimal("160.00")
    assert deposits["mom"] == Decimal("60.00")  # on December's 100
    assert deposits["yoy"] == Decimal("70.00")  # on January 2025's 90
    assert deposits["ytd"] == Decimal("60.00")  # on 31 December's 100
    # 新增日均: 160 less 2025's daily average (31 days at 90, 31 at 100: 95).
    assert rows["new_avg_deposits"]["value"] == Decimal("65.00")
    assert rows["customers"]["value"] == 12 and rows["customers"]["ytd"] == 2
    assert rows["customers_new"]["value"] == 31
    assert rows["customers_new"]["mom"] == 29
    assert rows["customers_new"]["ytd"] is None  # a flow has no 比年初


def test_a_week_across_the_year_end_averages_its_days(year_end):
    week = Period.of("week", date(2026, 1, 1))
    value = figures(RmDay.objects.filter(rm=year_end), week)[None]["avg_deposits"]
    assert value == Decimal("134.29")  # (3 × 100 + 4 × 160) / 7


def test_a_quarter_and_a_year(year_end):
    rows = RmDay.objects.filter(rm=year_end)
    assert figures(rows, Period.of("quarter", date(2026, 2, 1)))[None]["avg_deposits"] == 160
    # 2025: 31 days at 90 and 31 at 100 written.
    assert figures(rows, Period.of("year", date(2025, 6, 1)))[None]["avg_deposits"] == 95
    assert figures(rows, Period.of("year", date(2025, 6, 1)))[None]["customers"] == 10


def test_trend_folds_days_into_periods(year_end):
    points = trend(
        RmDay.objects.filter(rm=year_end),
        Period.of("month", date(2026, 1, 1)),
        "avg_deposits",
        points=3,
    )
    assert points == [
        ("2025-11", 0),
        ("2025-12", Decimal("100.00")),
        ("2026-01", Decimal("160.00")),
    ]


def test_ratios_and_imported_figures(personas):
    write_facts(
        personas.rm,
        date(2026, 3, 1),
        date(2026, 3, 31),
        coverage_due=8,
        coverage_met=6,
        holdings=30,
        customers=12,
    )
    ExternalFigure.objects.create(
        rm=personas.rm,
        branch=personas.rm.branch,
        month=date(2026, 3, 1),
        measure="intl_settlement",
        amount=500,
    )
    period = Period.of("quarter", date(2026, 3, 1))
    values = figures(
        RmDay.objects.filter(rm=personas.rm),
        period,
        external=ExternalFigure.objects.filter(rm=personas.rm),
    )[None]
    assert values["coverage"] == Decimal("75.00")
    assert values["cross_sell"] == Decimal("2.50")
    assert values["intl_settlement"] == 500

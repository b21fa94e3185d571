import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from customers.models import AssetTier, Relation, TierChange
from tests.factories import BalanceFactory, CustomerFactory, HoldingFactory, ProductFactory
from watchlists import rules, services
from watchlists.models import (
    Escalation,
    LedgerEntry,
    Level,
    Measure,
    RiskSignal,
    WatchItem,
    WatchRule,
)

TODAY = date(2026, 11, 26)


def _balances(customer, *amounts, last=date(2026, 10, 1)):
    """Monthly assets ending with ``last``: the first amount is the oldest month."""
    month = last
    months = []
    for _ in amounts:
        months.append(month)
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    for month, amount in zip(reversed(months), amounts, strict=True):
        BalanceFactory(customer=customer, month=month, avg_financial_assets=amount)


@pytest.mark.parametrize(
    "amounts, level",
    [
        ((100, 100, 100, 71), None),  # down 29 %: below the 30 % threshold
        ((100, 100, 100, 70), None),  # exactly 30 %: not "more than"
        ((100, 100, 100, 69), Level.ATTENTION),  # down 31 % on the month
        ((100, 100, 100, 50), Level.ATTENTION),  # 50 % on three months: not more than 50
        ((100, 60, 60, 49), Level.WARNING),  # 51 % over three months, 18 % on the month
    ],
)
def test_assets_drop_thresholds(book, amounts, level):
    _balances(book.mine, *amounts)
    rules.evaluate(TODAY, keys={"assets_drop"})
    items = list(WatchItem.objects.filter(rule="assets_drop"))
    if level is None:
        assert items == []
    else:
        assert [(i.customer_id, i.level, i.kind) for i in items] == [
            (book.mine.pk, level, WatchItem.Kind.ATTRITION)
        ]
        assert items[0].owner == book.mine.primary_rm
        assert Measure.objects.filter(item=items[0]).count() == 1
        assert items[0].next_escalation_on is not None


def test_admin_threshold_is_used(book):
    WatchRule.objects.filter(key="assets_drop").update(threshold=10)
    _balances(book.mine, 100, 100, 100, 85)
    rules.evaluate(TODAY, keys={"assets_drop"})
    assert WatchItem.objects.filter(rule="assets_drop").count() == 1


def test_rerun_creates_nothing_twice(book):
    _balances(book.mine, 100, 100, 100, 60)
    rules.evaluate(TODAY)
    rules.evaluate(TODAY)
    assert WatchItem.objects.filter(rule="assets_drop").count() == 1
    assert Measure.objects.count() == 1
    assert LedgerEntry.objects.count() == 1


def test_worsening_signal_raises_the_open_item(book):
    RiskSignal.objects.create(customer=book.mine, as_of=TODAY, overdue_days=5)
    rules.evaluate(TODAY, keys={"overdue"})
    item = WatchItem.objects.get(rule="overdue")
    assert item.level == Level.ATTENTION
    RiskSignal.objects.create(customer=book.mine, as_of=TODAY + timedelta(days=30), overdue_days=35)
    rules.evaluate(TODAY + timedelta(days=30), keys={"overdue"})
    assert WatchItem.objects.filter(rule="overdue").count() == 1
    item.refresh_from_db()
    assert item.level == Level.WARNING
    assert LedgerEntry.objects.filter(item=item, kind="raised").count() == 1


@pytest.mark.parametrize(
    "days, classification, level",
    [
        (0, None, None),
        (1, None, Level.ATTENTION),
        (29, None, Level.ATTENTION),
        (30, None, Level.WARNING),
        (89, None, Level.WARNING),
        (90, None, Level.SEVERE),
        (0, 3, Level.SEVERE),  # 次级
        (0, 2, None),  # 关注 alone is no overdue
    ],
)
def test_overdue_thresholds(book, days, classification, level):
    RiskSignal.objects.create(
        customer=book.mine,
        as_of=TODAY,
        overdue_days=days,
        classification=classification,
        overdue_interest=Decimal("100") if days else 0,
    )
    rules.evaluate(TODAY, keys={"overdue"})
    levels = list(WatchItem.objects.filter(rule="overdue").values_list("level", flat=True))
    assert levels == ([] if level is None else [level])


def test_downgrades_and_frozen_accounts_warn(book):
    RiskSignal.objects.create(
        customer=book.mine, as_of=TODAY - timedelta(days=30), classification=1, rating="AA"
    )
    RiskSignal.objects.create(
        customer=book.mine, as_of=TODAY, classification=2, rating="AA", rating_rank=3
    )
    RiskSignal.objects.create(
        customer=book.colleagues, as_of=TODAY - timedelta(days=30), rating="AA", rating_rank=3
    )
    RiskSignal.objects.create(customer=book.colleagues, as_of=TODAY, rating="A", rating_rank=6)
    RiskSignal.objects.create(customer=book.other, as_of=TODAY, account_status="frozen")
    rules.evaluate(TODAY)
    found = set(WatchItem.objects.values_list("customer_id", "rule", "level"))
    assert found == {
        (book.mine.pk, "downgrade", Level.WARNING),
        (book.colleagues.pk, "downgrade", Level.WARNING),
        (book.other.pk, "account_status", Level.WARNING),
    }


def test_tier_drop_and_not_renewed(book):
    AssetTier.objects.create(code="t1", name="基础", min_assets=0)
    AssetTier.objects.create(code="t2", name="金卡", min_assets=100000)
    TierChange.objects.create(
        customer=book.mine,
        kind="asset",
        old_value="金卡",
        new_value="基础",
        effective_on=TODAY - timedelta(days=3),
        reason="x",
    )
    TierChange.objects.create(
        customer=book.colleagues,
        kind="asset",
        old_value="基础",
        new_value="金卡",
        effective_on=TODAY - timedelta(days=3),
        reason="x",
    )
    deposit = ProductFactory(code="TD", category="time_deposit")
    HoldingFactory(
        customer=book.other,
        product=deposit,
        amount=800000,
        matures_on=TODAY - timedelta(days=40),
        status="matured",
    )
    HoldingFactory(
        customer=book.assisted,
        product=deposit,
        amount=800000,
        matures_on=TODAY - timedelta(days=40),
        status="matured",
    )
    HoldingFactory(
        customer=book.assisted, product=deposit, amount=700000, opened_on=TODAY - timedelta(days=39)
    )
    rules.evaluate(TODAY)
    assert set(WatchItem.objects.values_list("customer_id", "rule")) == {
        (book.mine.pk, "tier_drop"),
        (book.other.pk, "not_renewed"),
    }


def test_closed_item_is_not_reopened_by_the_same_evidence(book, personas):
    RiskSignal.objects.create(customer=book.mine, as_of=TODAY, overdue_days=5)
    rules.evaluate(TODAY)
    item = WatchItem.objects.get(rule="overdue")
    services.move_item(actor=personas.rm, item=item, to="resolved", reason="已还款")
    rules.evaluate(TODAY)
    assert WatchItem.objects.filter(rule="overdue").count() == 1


def test_warning_spreads_to_a_guarantee_circle(book, personas):
    a, b, c = (CustomerFactory(kind="corporate", primary_rm=personas.rm) for _ in range(3))
    far = CustomerFactory(kind="corporate", primary_rm=personas.rm)
    Relation.objects.create(from_customer=a, to_customer=b, kind="guarantor")
    Relation.objects.create(from_customer=c, to_customer=a, kind="guarantor")
    Relation.objects.create(from_customer=far, to_customer=c, kind="guarantor")
    loan = ProductFactory(code="BL", category="business_loan", matures=False)
    HoldingFactory(customer=b, product=loan, amount=1000000)
    RiskSignal.objects.create(customer=a, as_of=TODAY, overdue_days=40)
    rules.evaluate(TODAY)
    rules.evaluate(TODAY)
    origin = WatchItem.objects.get(customer=a)
    derived = WatchItem.objects.filter(origin=origin)
    assert set(derived.values_list("customer_id", "level", "source")) == {
        (b.pk, Level.ATTENTION, "related"),
        (c.pk, Level.ATTENTION, "related"),
    }
    assert origin.exposure_guarantees == Decimal("1000000.00")
    assert derived.get(customer=b).exposure_loans == Decimal("1000000.00")


def _run_twice_at_once(target):
    errors = []

    def run():
        try:
            target()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_create_each_item_and_escalation_once(book):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    RiskSignal.objects.create(customer=book.mine, as_of=TODAY, overdue_days=100)
    _run_twice_at_once(lambda: rules.evaluate(TODAY))
    assert WatchItem.objects.filter(rule="overdue").count() == 1
    _run_twice_at_once(lambda: services.escalate(TODAY + timedelta(days=30)))
    assert Escalation.objects.count() == 1


@pytest.mark.parametrize(
    "amount, matured_days_ago, flagged",
    [
        (500000, 30, True),  # the threshold and the first day after the grace period
        (499999, 40, False),  # below the amount
        (800000, 29, False),  # still within the 30 days' grace
        (800000, 59, True),
        (800000, 60, False),  # too long ago: the rule saw it in the month before
    ],
)
def test_not_renewed_thresholds(book, amount, matured_days_ago, flagged):
    deposit = ProductFactory(code="TD", category="time_deposit")
    HoldingFactory(
        customer=book.mine,
        product=deposit,
        amount=amount,
        matures_on=TODAY - timedelta(days=matured_days_ago),
        status="matured",
    )
    rules.evaluate(TODAY, keys={"not_renewed"})
    assert WatchItem.objects.filter(rule="not_renewed").exists() is flagged


def test_two_hops_reach_the_guarantor_of_a_guarantor(book, personas):
    from watchlists.models import WatchPolicy

    policy = WatchPolicy.current()
    policy.related_hops = 2
    policy.save()
    a, b, c = (CustomerFactory(kind="corporate", primary_rm=personas.rm) for _ in range(3))
    Relation.objects.create(from_customer=b, to_customer=a, kind="guarantor")
    Relation.objects.create(from_customer=c, to_customer=b, kind="group_member")
    RiskSignal.objects.create(customer=a, as_of=TODAY, overdue_days=40)
    rules.evaluate(TODAY)
    echo = WatchItem.objects.get(customer=c)
    assert [step[0] for step in echo.chain] == [a.pk, b.pk, c.pk]

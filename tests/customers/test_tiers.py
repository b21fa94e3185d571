from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customers.models import AssetTier, StarLevel, TierChange, TierPolicy
from customers.tiers import add_months, recompute_tiers
from tests.factories import BalanceFactory, CustomerFactory, HoldingFactory, ProductFactory

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)


def tier(code):
    return AssetTier.objects.get(code=code)


def history(customer, assets, star_points=0, last=OCT):
    """Monthly balances ending at ``last``, oldest first."""
    for n, value in enumerate(reversed(assets)):
        BalanceFactory(
            customer=customer,
            month=add_months(last, -n),
            avg_financial_assets=Decimal(value),
            star_points=Decimal(star_points),
        )


@pytest.mark.parametrize(
    ("assets", "expected"),
    [
        (199_999.99, None),
        (200_000, "wealth_mgmt"),
        (999_999, "wealth_mgmt"),
        (1_000_000, "wealth"),
        (5_999_999, "wealth"),
        (6_000_000, "private"),
    ],
)
def test_asset_tier_thresholds(personas, assets, expected):
    customer = CustomerFactory(primary_rm=personas.rm)
    history(customer, [assets])
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert (customer.asset_tier.code if customer.asset_tier else None) == expected
    assert customer.monthly_avg_assets == Decimal(str(assets))


def test_upgrade_takes_effect_at_the_start_of_next_month_with_a_reason(personas):
    customer = CustomerFactory(primary_rm=personas.rm)
    history(customer, [1_200_000])
    recompute_tiers(month=OCT)
    change = TierChange.objects.get(customer=customer, kind="asset")
    assert change.effective_on == date(2026, 11, 1)
    assert change.new_value == "财富客户" and "1,200,000" in change.reason


def test_a_dip_shorter_than_six_months_keeps_the_tier(personas):
    customer = CustomerFactory(primary_rm=personas.rm, asset_tier=tier("wealth"))
    history(customer, [1_500_000, 500_000, 500_000, 500_000, 500_000, 500_000])
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth"


def test_six_consecutive_months_below_drops_the_tier(personas):
    customer = CustomerFactory(primary_rm=personas.rm, asset_tier=tier("wealth"))
    history(customer, [1_500_000] + [500_000] * 6)
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth_mgmt"
    assert "6" in TierChange.objects.get(customer=customer, kind="asset").reason


def test_a_missing_month_does_not_count_as_below(personas):
    customer = CustomerFactory(primary_rm=personas.rm, asset_tier=tier("wealth"))
    history(customer, [500_000] * 5)  # only five months on file
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth"


def test_the_downgrade_period_is_an_admin_setting(personas):
    TierPolicy.objects.update(downgrade_after_months=3)
    customer = CustomerFactory(primary_rm=personas.rm, asset_tier=tier("wealth"))
    history(customer, [500_000] * 3)
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth_mgmt"


def test_thresholds_are_admin_settings(personas):
    AssetTier.objects.filter(code="private").update(min_assets=8_000_000)
    customer = CustomerFactory(primary_rm=personas.rm)
    history(customer, [7_000_000])
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth"


@pytest.mark.parametrize(
    ("points", "level"),
    [
        (0, StarLevel.NONE),
        (10, StarLevel.QUASI),
        (50, StarLevel.THREE),
        (499, StarLevel.THREE),
        (500, StarLevel.FOUR),
        (2_000, StarLevel.FIVE),
        (10_000, StarLevel.SIX),
        (80_000, StarLevel.SEVEN),
    ],
)
def test_star_levels_from_six_months_of_points(personas, points, level):
    customer = CustomerFactory(primary_rm=personas.rm)
    # Six months count; a seventh, older month must not.
    BalanceFactory(customer=customer, month=add_months(OCT, -6), star_points=10**6)
    BalanceFactory(customer=customer, month=add_months(OCT, -5), star_points=Decimal(points) / 2)
    for n in range(1, 5):
        BalanceFactory(customer=customer, month=add_months(OCT, -n))
    BalanceFactory(customer=customer, month=OCT, star_points=Decimal(points) / 2)
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.star_level == level


def test_cards_lift_holders_to_a_minimum_star_level(personas):
    platinum = ProductFactory(
        code="CC-PLAT", category="credit_card", matures=False, min_star_level=6
    )
    customer = CustomerFactory(primary_rm=personas.rm)
    HoldingFactory(customer=customer, product=platinum)
    history(customer, [10_000], star_points=5)
    recompute_tiers(month=OCT)
    customer.refresh_from_db()
    assert customer.star_level == StarLevel.SIX
    assert "六星级" in TierChange.objects.get(customer=customer, kind="star").reason


@pytest.mark.parametrize(
    ("month", "drops"),
    [(date(2026, 10, 1), False), (date(2026, 12, 1), True), (date(2026, 6, 1), True)],
)
def test_star_downgrades_only_at_the_end_of_june_and_december(personas, month, drops):
    customer = CustomerFactory(primary_rm=personas.rm, star_level=StarLevel.FIVE)
    history(customer, [0] * 6, star_points=10, last=month)
    recompute_tiers(month=month)
    customer.refresh_from_db()
    assert (customer.star_level < StarLevel.FIVE) == drops


def test_recomputing_twice_changes_nothing_more(personas):
    customer = CustomerFactory(primary_rm=personas.rm)
    history(customer, [2_000_000], star_points=100)
    first = recompute_tiers(month=OCT)
    second = recompute_tiers(month=OCT)
    assert first["asset_changes"] == 1 and second["asset_changes"] == second["star_changes"] == 0
    assert TierChange.objects.filter(customer=customer).count() == 2


def test_the_command_recomputes_a_past_month(personas, capsys):
    customer = CustomerFactory(primary_rm=personas.rm)
    history(customer, [300_000])
    call_command("recompute_tiers", "--month", "2026-10")
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth_mgmt"
    assert "2026-10" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["2026-13", "oct", "2999-01"])
def test_the_command_refuses_bad_months(db, bad):
    with pytest.raises(CommandError):
        call_command("recompute_tiers", "--month", bad)


def test_the_monthly_task_recomputes_last_month(personas, monkeypatch):
    from customers import tasks

    customer = CustomerFactory(primary_rm=personas.rm)
    history(customer, [300_000])
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2026, 11, 1))
    assert tasks.recompute_tiers_for_last_month()["asset_changes"] == 1
    customer.refresh_from_db()
    assert customer.asset_tier.code == "wealth_mgmt"

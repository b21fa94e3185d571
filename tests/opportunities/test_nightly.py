"""The nightly jobs: maturities become retention opportunities, and gap suggestions; each
exactly once under reruns and two runs at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from opportunities import nightly
from opportunities.models import (
    CrossSellSnapshot,
    NightlyRun,
    Opportunity,
    OpportunityLine,
    SuggestedProduct,
    Suggestion,
)
from tests.factories import CustomerFactory, HoldingFactory, ProductFactory

TODAY = timezone.localdate()


def run_twice_at_once(target):
    errors = []

    def run():
        try:
            target()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.fixture
def maturities(personas, products):
    customer = CustomerFactory(
        primary_rm=personas.rm, risk_grade="C3", risk_assessed_on=TODAY - timedelta(days=10)
    )
    expired = CustomerFactory(
        primary_rm=personas.rm, risk_grade="C5", risk_assessed_on=TODAY - timedelta(days=500)
    )
    r3 = ProductFactory(code="WM3", category="wealth", risk_level="R3")
    ProductFactory(code="WM5", category="wealth", risk_level="R5")
    return {
        "due": HoldingFactory(
            customer=customer,
            product=products.wealth,
            amount=80000,
            matures_on=TODAY + timedelta(days=10),
        ),
        "expired": HoldingFactory(
            customer=expired, product=r3, amount=60000, matures_on=TODAY + timedelta(days=30)
        ),
        "small": HoldingFactory(
            customer=customer,
            product=products.deposit,
            amount=49999,
            matures_on=TODAY + timedelta(days=5),
        ),
        "late": HoldingFactory(
            customer=customer,
            product=products.deposit,
            amount=90000,
            matures_on=TODAY + timedelta(days=45),
        ),
        "past": HoldingFactory(
            customer=customer,
            product=products.deposit,
            amount=90000,
            matures_on=TODAY - timedelta(days=1),
        ),
        "not_deposit": HoldingFactory(
            customer=customer,
            product=products.equity,
            amount=90000,
            matures_on=TODAY + timedelta(days=3),
        ),
    }


@pytest.mark.django_db
def test_a_maturity_within_30_days_over_50000_becomes_a_retain_opportunity(maturities, personas):
    assert nightly.create_maturity_opportunities(TODAY) == 2
    due = Opportunity.objects.get(holding=maturities["due"])
    assert (due.type, due.source, due.owner, due.stage_id) == (
        "retain",
        "maturity",
        personas.rm,
        "identified",
    )
    assert due.amount == 80000 and due.expected_close_on == maturities["due"].matures_on
    assert due.weighted_amount == 8000  # 10 % of the first stage
    assert due.next_step and due.next_step_on
    assert [(line.product.code, line.amount) for line in due.lines.all()] == [("WM", 80000)]
    # Replacement products: maturing ones up to the customer's grade C3.
    suggested = set(
        SuggestedProduct.objects.filter(opportunity=due).values_list("product__code", flat=True)
    )
    assert suggested == {"TD", "WM", "WM3"}
    # An expired assessment counts as R1 only.
    expired = Opportunity.objects.get(holding=maturities["expired"])
    assert set(
        SuggestedProduct.objects.filter(opportunity=expired).values_list("product__code", flat=True)
    ) == {"TD"}
    assert not Opportunity.objects.filter(
        holding__in=[maturities[k] for k in ("small", "late", "past", "not_deposit")]
    ).exists()


@pytest.mark.django_db
def test_a_rerun_creates_nothing_twice(maturities):
    nightly.create_maturity_opportunities(TODAY)
    assert nightly.create_maturity_opportunities(TODAY) == 0
    assert nightly.create_maturity_opportunities(TODAY + timedelta(days=1)) == 0
    assert Opportunity.objects.count() == 2
    assert OpportunityLine.objects.count() == 2


@pytest.mark.django_db
def test_a_new_maturity_date_of_the_same_holding_is_a_new_opportunity(maturities):
    nightly.create_maturity_opportunities(TODAY)
    holding = maturities["due"]
    holding.matures_on = TODAY + timedelta(days=20)
    holding.save()
    assert nightly.create_maturity_opportunities(TODAY) == 1


@pytest.mark.django_db(transaction=True)
def test_two_maturity_runs_at_once_create_each_opportunity_once(personas, products):
    for i in range(15):
        HoldingFactory(
            customer=CustomerFactory(primary_rm=personas.rm),
            product=products.deposit,
            amount=100000 + i,
            matures_on=TODAY + timedelta(days=1 + i),
        )
    run_twice_at_once(lambda: nightly.create_maturity_opportunities(TODAY))
    assert Opportunity.objects.count() == 15
    assert OpportunityLine.objects.count() == 15


# --- suggestions ---------------------------------------------------------------------------


def peers(personas, products, n=10):
    """Ten individual customers without a tier: all hold deposits, 6 hold wealth, 4 a fund
    (40 %), 3 insurance (30 %)."""
    insurance = ProductFactory(code="INS", category="insurance", risk_level="R2", matures=False)
    customers = [CustomerFactory(primary_rm=personas.rm) for _ in range(n)]
    for i, customer in enumerate(customers):
        HoldingFactory(customer=customer, product=products.deposit)
        if i < 6:
            HoldingFactory(customer=customer, product=products.wealth)
        if 2 <= i < 6:
            HoldingFactory(customer=customer, product=products.equity)
        if i >= 7:
            HoldingFactory(customer=customer, product=insurance)
    return customers


@pytest.mark.django_db
def test_suggestions_are_the_categories_held_by_40_percent_of_peers(personas, products):
    customers = peers(personas, products)
    assert nightly.compute_suggestions(TODAY) > 0
    got = {
        c.pk: list(
            Suggestion.objects.filter(customer=c).order_by("rank").values_list("category", "rank")
        )
        for c in customers
    }
    assert got[customers[0].pk] == [("fund", 1)]  # holds wealth and deposits; fund 40 %
    assert got[customers[2].pk] == []  # holds everything popular
    assert got[customers[8].pk] == [("wealth", 1), ("fund", 2)]  # wealth 60 % first
    share = Suggestion.objects.get(customer=customers[8], category="wealth").peer_share
    assert share == 60


@pytest.mark.django_db
def test_a_dismissed_suggestion_stays_dismissed_for_90_days(personas, products):
    customers = peers(personas, products)
    nightly.compute_suggestions(TODAY)
    wealth = Suggestion.objects.get(customer=customers[8], category="wealth")
    nightly.dismiss_suggestion(actor=personas.rm, suggestion=wealth, today=TODAY)
    nightly.compute_suggestions(TODAY + timedelta(days=1))
    live = Suggestion.objects.filter(customer=customers[8]).live(TODAY + timedelta(days=1))
    assert list(live.values_list("category", "rank")) == [("fund", 1)]
    nightly.compute_suggestions(TODAY + timedelta(days=91))
    live = Suggestion.objects.filter(customer=customers[8]).live(TODAY + timedelta(days=91))
    assert list(live.order_by("rank").values_list("category", flat=True)) == ["wealth", "fund"]


@pytest.mark.django_db
def test_a_rerun_of_the_suggestions_writes_nothing_twice(personas, products):
    peers(personas, products)
    first = nightly.compute_suggestions(TODAY)
    rows = set(Suggestion.objects.values_list("customer_id", "category", "rank"))
    assert nightly.compute_suggestions(TODAY) is None
    assert nightly.compute_suggestions(TODAY, force=True) == first
    assert set(Suggestion.objects.values_list("customer_id", "category", "rank")) == rows
    assert CrossSellSnapshot.objects.get(rm=personas.rm, day=TODAY).customers == 10


@pytest.mark.django_db(transaction=True)
def test_two_suggestion_runs_at_once_write_each_suggestion_once(personas, products):
    peers(personas, products)
    run_twice_at_once(lambda: nightly.compute_suggestions(TODAY))
    assert NightlyRun.objects.filter(kind="suggestions", day=TODAY).count() == 1
    # Customers 0-1: fund; 2-5: nothing; 6-9: wealth and fund (see peers()).
    assert Suggestion.objects.count() == 2 + 0 + 4 * 2
    assert Suggestion.objects.values("customer", "category").distinct().count() == 10

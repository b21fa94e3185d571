from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import User
from customers.models import Relation
from tests.conftest import ALL_PERSONAS
from tests.factories import HoldingFactory, ProductFactory, UserFactory
from watchlists import services
from watchlists.models import Level, LoanCheck, WatchItem

# Every persona a watchlist scope test asks: the shared ones and the risk manager of branch 1.
WATCH_PERSONAS = [*ALL_PERSONAS, "risk"]


@pytest.fixture
def risk(org):
    return UserFactory(username="risk", role=User.Role.RISK, branch=org.b1)


def open_item(customer, actor, level=Level.ATTENTION, **extra):
    return services.open_item(
        actor=actor,
        customer=customer,
        kind=WatchItem.Kind.CREDIT,
        level=level,
        source=WatchItem.Source.RM,
        signals=["large_flow"],
        description="大额资金转出",
        **extra,
    )


@pytest.fixture
def watch(book, personas):
    """An item on the rm's customer, one on the customer the rm assists, one in branch 2
    (at warning) that echoes onto the rm's customer as a related party, and a loan check."""
    loan = ProductFactory(code="BL1", category="business_loan", matures=False)
    holding = HoldingFactory(customer=book.mine, product=loan, amount=2000000)
    HoldingFactory(customer=book.other, product=loan, amount=9876543)
    Relation.objects.create(from_customer=book.other, to_customer=book.mine, kind="guarantor")
    mine = open_item(book.mine, personas.rm)
    assisted = open_item(book.assisted, personas.colleague)
    other = open_item(book.other, personas.other_rm, level=Level.WARNING)
    echo = WatchItem.objects.get(origin=other, customer=book.mine)
    check = LoanCheck.objects.create(
        customer=book.mine,
        holding=holding,
        kind=LoanCheck.Kind.FIRST,
        due_on=timezone.localdate() - timedelta(days=2),
    )
    return SimpleNamespace(
        mine=mine, assisted=assisted, other=other, echo=echo, check=check, holding=holding
    )

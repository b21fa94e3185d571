from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from opportunities import services
from opportunities.models import OpportunityAssistant
from tests.factories import ProductFactory


def ensure_stages():
    """The default stages and lost reasons (a data migration): a test that flushed the
    database (transaction=True) took them away from the tests after it."""
    from importlib import import_module

    from django.apps import apps

    import_module("opportunities.migrations.0002_default_stages").add(apps, None)


@pytest.fixture(autouse=True)
def stages(request):
    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        ensure_stages()


@pytest.fixture
def products(db):
    return SimpleNamespace(
        deposit=ProductFactory(
            code="TD", name="定期存款", category="time_deposit", risk_level="R1"
        ),
        wealth=ProductFactory(code="WM", name="稳健理财", category="wealth", risk_level="R2"),
        equity=ProductFactory(
            code="EQ",
            name="股票基金",
            category="fund",
            risk_level="R4",
            matures=False,
            needs_dual_recording=True,
        ),
    )


def make_opportunity(customer, actor, *, lines=(), **extra):
    today = timezone.localdate()
    values = {
        "title": "理财配置",
        "expected_close_on": today + timedelta(days=30),
        "next_step": "电话沟通",
        "next_step_on": today + timedelta(days=2),
    }
    values.update(extra)
    return services.create_opportunity(actor=actor, customer=customer, lines=lines, **values)


@pytest.fixture
def opps(personas, book, products):
    """mine: rm's opportunity on rm's customer; assisted: the colleague's opportunity on the
    customer rm assists, with rm as an assisting RM on a 60/40 split; other: other_rm's."""
    mine = make_opportunity(book.mine, personas.rm, lines=[(products.deposit, 100000, 500, False)])
    assisted = make_opportunity(
        book.assisted,
        personas.colleague,
        lines=[(products.wealth, 200000, 1000, False)],
        mode="lead",
        owner_share=60,
        assistants=[(personas.rm, 40)],
    )
    other = make_opportunity(book.other, personas.other_rm)
    return SimpleNamespace(mine=mine, assisted=assisted, other=other)


__all__ = ["OpportunityAssistant"]

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import TierChange
from reports.models import PackDelivery
from reports.monday import build_pack, send_packs
from tests.conftest import assert_scope
from tests.factories import HoldingFactory
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 9)


@pytest.fixture
def week(personas, book):
    write_facts(personas.rm, date(2026, 2, 23), date(2026, 3, 8), visits_done=1)
    TierChange.objects.create(
        customer=book.mine,
        kind="asset",
        old_value="理财客户",
        new_value="财富客户",
        effective_on=date(2026, 3, 2),
        reason="x",
    )
    TierChange.objects.create(
        customer=book.other,
        kind="asset",
        old_value="理财客户",
        new_value="财富客户",
        effective_on=date(2026, 3, 2),
        reason="x",
    )
    HoldingFactory(customer=book.mine, matures_on=MONDAY + timedelta(days=10), amount=300000)
    HoldingFactory(customer=book.other, matures_on=MONDAY + timedelta(days=10), amount=1)
    return personas


def test_the_pack_holds_last_week_and_only_the_heads_customers(week, org):
    pack = build_pack(week.head, org.b1, MONDAY)
    assert pack["week"].start == date(2026, 3, 2)
    visits = next(r for r in pack["figures"] if r["measure"] == "visits_done")
    assert (visits["value"], visits["mom"]) == (7, 0)
    assert [m.customer.name for m in pack["tier_moves"]] == ["张伟"]
    assert pack["maturities"]["count"] == 1 and pack["maturities"]["amount"] == 300000


def test_the_pack_page_and_its_print(week, org, client_for):
    assert_scope(client_for, "/reports/monday/", allowed={"head", "other_head", "admin"})
    assert_scope(
        client_for, f"/reports/monday/?branch={org.b1.pk}&print=1", allowed={"head", "admin"}
    )


def test_each_head_gets_the_pack_once_a_week(week, settings):
    week.head.email = "head@example.com"
    week.head.save()
    assert send_packs(MONDAY) == 1
    assert send_packs(MONDAY) == 0
    assert len(mail.outbox) == 1
    assert "北京分行" in mail.outbox[0].subject
    assert PackDelivery.objects.get().sent_at <= timezone.now()

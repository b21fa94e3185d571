"""Every reports page makes the same number of queries whatever the number of rows."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from tests.conftest import count_queries
from tests.factories import CustomerFactory, UserFactory, VisitFactory
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db

PAGES = [
    ("head", "/reports/monday/", 70),
    ("head", "/reports/today/", 15),
    ("head", "/reports/staffing/", 10),
    ("rm", "/reports/scorecard/", 25),
    ("rm", "/reports/", 45),
    ("admin", "/reports/periods/", 10),
    ("admin", "/reports/import/", 10),
]


def grow(org, n):
    today = timezone.localdate()
    for i in range(n):
        rm = UserFactory(username=f"grow{n}_{i}", branch=org.b1a)
        write_facts(rm, date(2026, 1, 1), date(2026, 1, 2), avg_assets=i)
        customer = CustomerFactory(primary_rm=rm)
        VisitFactory(
            customer=customer, planned_start=timezone.make_aware(datetime.combine(today, time(10)))
        )


@pytest.mark.parametrize("persona, url, budget", PAGES)
def test_queries_do_not_grow_with_rows(personas, org, book, client_for, persona, url, budget):
    client = client_for(persona)
    grow(org, 1)
    few = count_queries(client, url)
    grow(org, 5)
    from django.core.cache import cache

    cache.clear()
    many = count_queries(client, url)
    assert many == few and many <= budget, (few, many)

"""Every registered panel makes a fixed number of queries, whatever the number of rows, and
so does every composed page."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Branch, User
from home.registry import registered_panels
from reminders.models import Reminder
from tests.conftest import count_queries
from tests.factories import (
    BranchFactory,
    CustomerFactory,
    HoldingFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

# Each panel: who looks, and the most queries it may make (its context and its template).
# An RM's customer scope costs one small query first (the ids of the customers they assist).
PANEL_BUDGETS = {
    "accounts-team-counts": ("head", 2),
    "accounts-branches": ("head", 1),
    "accounts-counts": ("admin", 2),
    "accounts-manage": ("admin", 0),
    "customers-archive": ("admin", 0),
    "customers-birthdays": ("rm", 2),
    "customers-maturing": ("rm", 2),
    "reminders-today": ("rm", 2),
    "reminders-customer": ("rm", 2),
    "visits-today": ("rm", 4),
    "visits-customer": ("rm", 1),
    "watchlists-admin": ("admin", 0),
    "watchlists-board": ("head", 4),
    "watchlists-brief": ("rm", 1),
    "watchlists-customer": ("rm", 2),
    "watchlists-mine": ("rm", 4),
    "opportunities-rm": ("rm", 4),
    "opportunities-head": ("head", 3),
    "opportunities-customer": ("rm", 4),
    "opportunities-visit": ("rm", 3),
    "service-customer": ("rm", 4),
    "service-my-tickets": ("rm", 2),
}


def at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def grow(personas, org, book, n):
    """n more rows of everything a panel lists or counts."""
    today = timezone.localdate()
    start = Reminder.objects.filter(customer=book.mine).count()
    for i in range(start, start + n):
        customer = CustomerFactory(primary_rm=personas.rm, birth_date=today.replace(year=1980))
        HoldingFactory(customer=customer, matures_on=today + timedelta(days=5))
        visit = VisitFactory(customer=customer, planned_start=at(today, 9 + i % 8))
        Reminder.objects.create(
            kind="birthday",
            customer=customer,
            subject_key=f"customer:{customer.pk}",
            due_on=today,
            remind_on=today,
            recipient=personas.rm,
        )
        Reminder.objects.create(
            kind="visit_overdue",
            customer=customer,
            visit=visit,
            subject_key=f"visit:{visit.pk}",
            due_on=today - timedelta(days=1),
            remind_on=today,
            recipient=personas.rm,
        )
        # About the customer of the 360 page.
        VisitFactory(customer=book.mine, planned_start=at(today - timedelta(days=i + 1), 10))
        Reminder.objects.create(
            kind="birthday",
            customer=book.mine,
            subject_key=f"customer:{book.mine.pk}",
            due_on=today - timedelta(days=i),
            remind_on=today - timedelta(days=i),
            recipient=personas.rm,
        )
        # The head's team and branches.
        UserFactory(role=User.Role.RM, branch=org.b1b)
        BranchFactory(code=f"B1B-{i}", parent=org.b1b, level=Branch.Level.OUTLET)


def panel_queries(panel, user, subject):
    """Queries of one panel's context and template, after a first run (the call buttons of
    today's visits are recorded once a day)."""
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            context = panel.context(user, **subject)
            render_to_string(panel.template, {**subject, **context})
    return len(queries)


def test_every_panel_has_a_query_budget():
    assert {panel.key for panel in registered_panels()} == set(PANEL_BUDGETS)


@pytest.mark.parametrize("key", sorted(PANEL_BUDGETS))
def test_each_panel_makes_a_fixed_number_of_queries(key, personas, org, book):
    persona, budget = PANEL_BUDGETS[key]
    (panel,) = [p for p in registered_panels() if p.key == key]
    user = getattr(personas, persona)
    visit = VisitFactory(customer=book.mine, planned_start=at(timezone.localdate(), 8))
    subject = {
        "customer_360": {"customer": book.mine},
        "visit_brief": {"visit": visit, "customer": book.mine},
    }.get(panel.slot, {})

    grow(personas, org, book, 2)
    few = panel_queries(panel, user, subject)
    grow(personas, org, book, 12)
    many = panel_queries(panel, user, subject)
    assert many == few <= budget


@pytest.mark.parametrize("persona", ["rm", "head", "admin"])
def test_each_home_page_makes_a_fixed_number_of_queries(client_for, persona, personas, org, book):
    client = client_for(persona)
    grow(personas, org, book, 2)
    few = count_queries(client, reverse("home"))
    grow(personas, org, book, 12)
    assert count_queries(client, reverse("home")) == few


def test_the_360_page_and_the_brief_make_a_fixed_number_of_queries(client_for, personas, org, book):
    client = client_for("rm")
    visit = VisitFactory(customer=book.mine, planned_start=at(timezone.localdate(), 8))
    urls = [
        reverse("customers-detail", args=[book.mine.pk]),
        reverse("visits-brief", args=[visit.pk]),
    ]
    grow(personas, org, book, 2)
    few = [count_queries(client, url) for url in urls]
    grow(personas, org, book, 12)
    assert [count_queries(client, url) for url in urls] == few

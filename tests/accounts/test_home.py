"""The RM's home page (我的一天): today's visits and today's reminders."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import SensitiveAccess
from reminders.models import Reminder
from reminders.services import generate_reminders
from tests.conftest import count_queries
from tests.factories import CustomerFactory, VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def today():
    return timezone.localdate()


def test_rm_home_lists_todays_visits_in_time_order(client_for, personas, book, today):
    late = VisitFactory(customer=book.mine, planned_start=at(today, 15, 30), channel="phone")
    early = VisitFactory(customer=book.assisted, rm=personas.rm, planned_start=at(today, 9))
    done = VisitFactory(
        customer=book.mine, planned_start=at(today, 11), status=Visit.Status.COMPLETED
    )
    # Not today's, cancelled, or about a customer the RM may not see: not listed.
    VisitFactory(customer=book.mine, planned_start=at(today + timedelta(days=1), 9))
    VisitFactory(customer=book.mine, planned_start=at(today - timedelta(days=1), 9))
    VisitFactory(customer=book.mine, planned_start=at(today, 10), status=Visit.Status.CANCELLED)
    VisitFactory(customer=book.colleagues, rm=personas.rm, planned_start=at(today, 10))
    VisitFactory(customer=book.mine, rm=personas.colleague, planned_start=at(today, 10))

    response = client_for("rm").get(reverse("home"))

    assert [v.pk for v in response.context["visits_today"]] == [early.pk, done.pk, late.pk]
    html = response.content.decode()
    assert "今天没有计划走访" not in html
    assert "15:30" in html and "电话" in html  # the time and the channel
    assert f'href="{reverse("customers-detail", args=[book.mine.pk])}"' in html
    assert f'href="tel:{book.mine.mobile}"' in html
    assert f'href="{reverse("visits-brief", args=[late.pk])}"' in html
    assert "已完成" in html  # a visit already logged says so


def test_rm_home_lists_visits_the_rm_joins_as_a_companion(client_for, personas, book, today):
    joined = VisitFactory(customer=book.assisted, rm=personas.colleague, planned_start=at(today, 9))
    joined.companions.add(personas.rm)
    response = client_for("rm").get(reverse("home"))
    assert [v.pk for v in response.context["visits_today"]] == [joined.pk]


def test_rm_home_says_so_when_no_visit_is_planned_today(client_for, book, today):
    VisitFactory(customer=book.mine, planned_start=at(today + timedelta(days=1), 9))
    response = client_for("rm").get(reverse("home"))
    assert response.context["visits_today"] == []
    assert "今天没有计划走访" in response.content.decode()


def test_each_empty_panel_gives_its_own_hint(client_for, personas):
    html = client_for("rm").get(reverse("home")).content.decode()
    # Each hint once, in its own panel: the birthday and maturity panels repeated the
    # reminders panel's hint.
    assert html.count("今天计划的走访会列在这里") == 1
    assert html.count("今天的生日、到期和跟进提醒会列在这里") == 1
    assert "未来 7 天没有客户生日" in html


def test_a_customer_without_a_mobile_gets_no_call_button(client_for, book, today):
    book.mine.mobile = ""
    book.mine.save()
    VisitFactory(customer=book.mine, planned_start=at(today, 9))
    html = client_for("rm").get(reverse("home")).content.decode()
    assert 'href="tel:' not in html
    assert not SensitiveAccess.objects.exists()


def test_the_full_numbers_shown_for_calls_are_recorded_once_a_day(
    client_for, personas, book, today
):
    VisitFactory(customer=book.mine, planned_start=at(today, 9))
    VisitFactory(customer=book.mine, planned_start=at(today, 14))
    client = client_for("rm")
    client.get(reverse("home"))
    client.get(reverse("home"))
    recorded = SensitiveAccess.objects.get()
    assert (recorded.user, recorded.customer, recorded.action) == (
        personas.rm,
        book.mine,
        SensitiveAccess.Action.VIEW,
    )


def test_home_reminders_link_to_their_customer_or_visit(client_for, personas, book, today):
    book.mine.birth_date = today.replace(year=1980)  # a leap year: 29 February exists
    book.mine.save()
    # Still planned a day after it ended: a "visit overdue" reminder about this visit.
    missed = VisitFactory(customer=book.mine, planned_start=at(today - timedelta(days=1), 9))
    generate_reminders(today)
    assert {r.kind for r in Reminder.objects.filter(recipient=personas.rm)} == {
        "birthday",
        "visit_overdue",
    }
    html = client_for("rm").get(reverse("home")).content.decode()
    customer_link = reverse("customers-detail", args=[book.mine.pk])
    visit_link = reverse("visits-detail", args=[missed.pk])
    assert f'<a href="{customer_link}" data-testid="home-reminder">' in html
    assert f'<a href="{visit_link}" data-testid="home-reminder">' in html


def test_rm_home_query_count_does_not_grow_with_visits_and_reminders(client_for, personas, today):
    client = client_for("rm")

    def add(n):
        for _ in range(n):
            customer = CustomerFactory(primary_rm=personas.rm, birth_date=today.replace(year=1980))
            VisitFactory(customer=customer, planned_start=at(today, 10))
            VisitFactory(customer=customer, planned_start=at(today - timedelta(days=1), 10))
        Reminder.objects.all().delete()
        from reminders.models import BranchGeneration

        BranchGeneration.objects.all().delete()
        generate_reminders(today)

    add(2)
    few = count_queries(client, reverse("home"))
    add(12)
    many = count_queries(client, reverse("home"))
    response = client.get(reverse("home"))
    assert len(response.context["visits_today"]) == 14
    assert len(response.context["reminders_today"]) == 10
    assert many == few

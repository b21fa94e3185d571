"""The service module's reminder kinds, found by the morning run and shown in the inbox."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reminders.models import Reminder
from reminders.services import generate_reminders
from service.models import Rectification
from service.services import run_ticket_clock
from tests.factories import CustomerFactory
from tests.service.conftest import take

pytestmark = pytest.mark.django_db


def kinds_for(user, kind):
    return list(Reminder.objects.filter(recipient=user, kind=kind).order_by("remind_on"))


def test_rectification_due_three_days_before_and_on_the_day(book, personas):
    ticket = take(personas.rm, customer=book.mine)
    Rectification.objects.create(
        ticket=ticket, action="修改转存提示", owner=personas.rm, due_on=date(2026, 12, 4)
    )
    for day in (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 4)):
        generate_reminders(day)
    assert [r.remind_on for r in kinds_for(personas.rm, "rectification_due")] == [
        date(2026, 12, 1),
        date(2026, 12, 4),
    ]


def test_a_care_list_is_ready_a_week_before_each_festival(book, personas):
    from customers.models import AssetTier

    book.mine.asset_tier = AssetTier.objects.get(code="wealth_mgmt")
    book.mine.save()
    generate_reminders(date(2026, 9, 18))  # Mid-Autumn 2026: 25 September
    # The colleague's book holds no customer of a tier: no care list to prepare.
    assert not kinds_for(personas.colleague, "care_list_ready")
    (reminder,) = kinds_for(personas.rm, "care_list_ready")
    assert reminder.due_on == date(2026, 9, 25)
    assert "中秋节" in reminder.message
    generate_reminders(date(2026, 9, 19))
    assert len(kinds_for(personas.rm, "care_list_ready")) == 1


def test_a_new_customer_is_thanked_the_day_after(personas):
    opened = timezone.make_aware(datetime.combine(date(2026, 11, 25), time(15)))
    customer = CustomerFactory(primary_rm=personas.rm, created_at=opened)
    generate_reminders(date(2026, 11, 26))
    (reminder,) = kinds_for(personas.rm, "thank_you_due")
    assert reminder.customer == customer


def test_clock_reminders_read_well_in_the_inbox(client_for, book, personas, ho_head):
    ticket = take(personas.rm, customer=book.mine)
    run_ticket_clock(ticket.due_at - timedelta(days=1))
    page = client_for("rm").get(reverse("reminders-inbox"))
    html = page.content.decode()
    assert f"工单#{ticket.pk}" in html
    assert reverse("service-detail", args=[ticket.pk]) in html

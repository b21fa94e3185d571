"""How a reminder reads: dates as the reader's language writes them, amounts in the one money
format with their currency, and no stray spaces inside a Chinese sentence."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from reminders.models import Reminder
from reminders.services import generate_reminders
from tests.factories import CustomerFactory, HoldingFactory

pytestmark = pytest.mark.django_db


def _birthday_today(today):
    return today.replace(year=1980) if (today.month, today.day) != (2, 29) else date(1980, 2, 29)


def test_a_birthday_reads_as_a_chinese_sentence_with_a_chinese_date(personas):
    today = timezone.localdate()
    CustomerFactory(primary_rm=personas.rm, name="张伟", birth_date=_birthday_today(today))
    generate_reminders(today)
    reminder = Reminder.objects.get(kind="birthday", due_on=today, lead_days=0)
    with translation.override("zh-hans"):
        assert reminder.message == f"张伟的生日是{today.year}年{today.month}月{today.day}日。"
    with translation.override("en"):
        assert reminder.message.startswith("张伟's birthday is on ")
        assert today.isoformat() not in reminder.message


def test_a_maturity_names_its_amount_in_the_money_format_and_its_currency(personas):
    today = timezone.localdate()
    customer = CustomerFactory(primary_rm=personas.rm, name="李娜")
    HoldingFactory(
        customer=customer, amount=Decimal("1234567.5"), matures_on=today + timedelta(days=7)
    )
    generate_reminders(today)
    reminder = Reminder.objects.get(kind="maturity")
    with translation.override("zh-hans"):
        assert "（1,234,567.50 CNY）" in reminder.message
        assert " " not in reminder.message.replace("1,234,567.50 CNY", "")

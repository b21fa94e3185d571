from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reminders.models import Reminder
from reminders.services import generate_reminders
from tests.browser.conftest import PHONE_390
from tests.browser.test_shell import log_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_snoozes_with_tomorrow_and_in_a_week_in_chinese(open_page, personas):
    today = timezone.localdate()
    birthday = today.replace(year=1980) if (today.month, today.day) != (2, 29) else today
    for name in ("张伟", "李娜"):
        CustomerFactory(name=name, primary_rm=personas.rm, birth_date=birthday)
    generate_reminders(today)
    page = open_page(PHONE_390, locale="zh-CN")
    log_in(page, "rm")
    page.goto("/reminders/")
    rows = page.locator("[data-testid=reminder]")
    expect(rows).to_have_count(2)

    rows.filter(has_text="张伟").get_by_role("button", name="明天").click()
    expect(page.locator("[role=alert]").first).to_contain_text("已推迟")
    expect(rows).to_have_count(1)
    rows.filter(has_text="李娜").get_by_role("button", name="一周后").click()
    expect(page.locator("[role=alert]").first).to_contain_text("已推迟")
    expect(rows).to_have_count(0)
    assert page.get_by_text("请选择今天之后的日期").count() == 0

    snoozed = dict(Reminder.objects.values_list("customer__name", "snoozed_until"))
    assert snoozed == {"张伟": today + timedelta(days=1), "李娜": today + timedelta(days=7)}

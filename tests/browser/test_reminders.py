from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reminders.models import Reminder
from reminders.services import generate_reminders
from tests.browser.conftest import PHONE_390
from tests.browser.test_shell import log_in
from tests.factories import CustomerFactory, VisitFactory

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


def test_rm_sees_todays_visits_on_a_phone_with_call_and_brief(open_page, personas, book):
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time(14, 30)))
    visit = VisitFactory(customer=book.mine, planned_start=start, channel="on_site")
    page = open_page(PHONE_390, locale="zh-CN")
    log_in(page, "rm")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    row = page.locator("[data-testid=home-visit]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("14:30")
    expect(row).to_contain_text("张伟")
    expect(row).to_contain_text("上门拜访")
    call = row.locator("[data-testid=call]")
    expect(call).to_be_visible()
    assert call.get_attribute("href") == f"tel:{book.mine.mobile}"
    expect(page.get_by_text("今天没有计划走访")).to_have_count(0)
    row.locator("[data-testid=brief]").click()
    page.wait_for_url(f"**/visits/{visit.pk}/brief/")
    expect(page.get_by_text("张伟").first).to_be_visible()

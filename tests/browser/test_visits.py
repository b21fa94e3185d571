from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_shell import log_in
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_logs_a_visit_on_a_phone_and_finds_the_follow_up_on_the_calendar(open_page, book):
    next_day = timezone.localdate() + timedelta(days=1)
    page = open_page(PHONE)
    log_in(page, "rm")
    page.goto("/visits/log/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#id_customer", "zw")
    option = page.locator("#customer-options option")
    expect(option).to_have_count(1)  # suggestions arrived while typing
    page.fill("#id_customer", option.get_attribute("value"))
    page.select_option("#id_channel", "phone")
    page.fill("#id_summary", "电话沟通到期续存，客户同意")
    page.fill("#id_next_visit_on", next_day.isoformat())
    page.click("[data-testid=quick-log-form] button[type=submit]")
    page.wait_for_url("**/visits/calendar/")
    assert Visit.objects.filter(status="completed", customer=book.mine).count() == 1

    page.goto(f"/visits/calendar/?month={next_day:%Y-%m}")
    day = page.locator(f'[data-day="{next_day.isoformat()}"]')
    expect(day.locator("[data-testid=calendar-visit]")).to_have_count(1)
    assert "张伟" in day.inner_text() and "10:00" in day.inner_text()


def test_head_opens_an_rms_diary_from_the_team(open_page, personas, book):
    page = open_page()
    log_in(page, "head")
    page.goto("/accounts/users/")
    page.locator("[data-testid=user-table]").get_by_text("rm", exact=True).first.wait_for()
    page.click(f'a[href="/accounts/users/{personas.rm.pk}/"]')
    page.click("[data-testid=open-diary]")
    page.wait_for_url("**/visits/diary/**")
    assert page.locator("[data-testid=diary-rm]").inner_text() == (
        personas.rm.get_full_name() or "rm"
    )
    expect(page.locator("[data-testid=diary-day]")).to_have_count(1)

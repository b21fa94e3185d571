from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP_1366, PHONE, PHONE_390
from tests.browser.test_shell import log_in
from tests.factories import UserFactory, VisitFactory
from visits.models import Material, Visit

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


def local(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_the_month_on_a_phone_starts_at_today_and_skips_empty_days(open_page, book):
    today = timezone.localdate()
    first = today.replace(day=1)
    # Busy days before today and one after: none of them may push today down the page.
    for n in range((today - first).days):
        day = first + timedelta(days=n)
        VisitFactory(customer=book.mine, planned_start=local(day, 9), planned_end=local(day, 10))
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page.goto("/visits/calendar/")
    today_cell = page.locator(f'[data-day="{today.isoformat()}"]')
    expect(today_cell).to_be_visible()
    assert today_cell.bounding_box()["y"] + 40 < PHONE_390["height"]  # no scrolling needed
    shown = page.locator("[data-testid=calendar] .calendar-day:visible")
    assert shown.first.get_attribute("data-day") == today.isoformat()
    assert all(
        d == today.isoformat()
        or page.locator(f'[data-day="{d}"] [data-testid=calendar-visit]').count()
        for d in shown.evaluate_all("els => els.map(e => e.dataset.day)")
    )  # no empty day but today
    if today > first:
        page.click("[data-testid=calendar-earlier]")
        expect(page.locator(f'[data-day="{first.isoformat()}"]')).to_be_visible()


def test_the_week_on_a_phone_keeps_empty_days_short(open_page, book):
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page.goto("/visits/calendar/?view=week")
    days = page.locator("[data-testid=calendar] .calendar-day")
    expect(days).to_have_count(7)
    heights = [
        box["height"]
        for box in days.evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())")
    ]
    assert max(heights) < 50, heights


def test_the_briefs_print_button_reads_on_one_line_on_a_phone(open_page, book):
    visit = VisitFactory(
        customer=book.mine, place="北京市海淀区中关村大街一号科技大厦十八层第三会议室"
    )
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page.goto(f"/visits/{visit.pk}/brief/")
    button = page.get_by_role("button", name="打印")
    expect(button).to_have_text("打印")
    assert button.bounding_box()["height"] < 40  # one line of text, not one character a line


@pytest.mark.parametrize("viewport", [DESKTOP_1366, PHONE_390], ids=["1366", "390"])
def test_materials_and_companions_are_ticked_without_ctrl(open_page, book, org, viewport):
    for n in range(9):
        UserFactory(
            username=f"peer{n}", first_name="", last_name=f"同事{n}", role="rm", branch=org.b1a
        )
    # A transactional test may start with or without the default materials.
    material = Material.objects.get_or_create(name="名片")[0]
    page = open_page(viewport)
    log_in(page, "rm")
    page.goto("/visits/new/")
    assert page.locator("select[multiple]").count() == 0
    box = page.locator(f'input[name=materials][value="{material.pk}"]')
    page.locator(f'label[for="{box.get_attribute("id")}"]').click()
    expect(box).to_be_checked()
    tick = box.evaluate("e => getComputedStyle(e).backgroundImage")
    assert "url(" in tick, tick  # Bootstrap draws the tick as a background image
    page.fill("[data-testid=check-list-filter]", "peer3")
    companions = page.locator("input[name=companions]:visible")
    expect(companions).to_have_count(1)
    companions.first.check()
    expect(companions.first).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_double_booking_is_confirmed_with_one_tick_on_a_phone(open_page, book, personas):
    start = timezone.localtime() + timedelta(days=2)
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    VisitFactory(customer=book.mine, planned_start=start, planned_end=start + timedelta(hours=1))
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page.goto("/visits/new/")
    page.fill("#id_customer", book.mine.customer_no)
    page.select_option("#id_channel", "phone")
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_purpose", "到期提醒")
    page.click("[data-testid=visit-form] button[type=submit]")
    warning = page.locator("[data-error-for=confirm_overlap]")
    expect(warning).to_contain_text(book.mine.name)
    assert Visit.objects.count() == 1
    page.get_by_label("仍然预约").check()
    page.click("[data-testid=visit-form] button[type=submit]")
    page.wait_for_url("**/visits/*/")
    assert Visit.objects.count() == 2

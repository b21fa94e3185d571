from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from reports.defaults import install
from tests.browser.conftest import DESKTOP_1366, PHONE_390
from tests.browser.test_shell import log_in
from tests.reports.fixtures import write_facts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def figures(personas, book):
    install(apps)  # the default schemes (a flushed database lost its data migrations)
    today = timezone.localdate()
    start, end = today.replace(day=1), today
    if start == end:
        start = end - timedelta(days=1)
    write_facts(personas.rm, start, end, avg_assets=30_000_000, customers=25, visits_done=1)
    write_facts(personas.colleague, start, end, avg_assets=50_000_000, customers=20)
    write_facts(personas.other_rm, start, end, avg_assets=40_000_000, customers=30)
    return personas


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP_1366])
def test_head_drills_from_the_branch_to_an_rm_and_a_customer(
    open_page, figures, org, book, viewport
):
    page = open_page(viewport)
    log_in(page, "head")
    page.goto("/reports/?grain=month")
    expect(page.locator("[data-testid=summary] tr[data-measure=avg_assets]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.locator("[data-testid=units] a", has_text="海淀支行").click()
    page.wait_for_url(f"**branch={org.b1a.pk}**")
    page.locator("[data-testid=rms] a", has_text="(rm)").click()
    page.wait_for_url(f"**rm={figures.rm.pk}**")
    page.locator("[data-testid=customers] a", has_text="张伟").click()
    page.wait_for_url(f"**/customers/{book.mine.pk}/")


def test_head_exports_a_table(open_page, figures, org):
    page = open_page(DESKTOP_1366)
    log_in(page, "head")
    page.goto(f"/reports/?grain=month&branch={org.b1a.pk}")
    with page.expect_download() as download:
        page.click("[data-testid=export-rms]")
    assert download.value.suggested_filename.endswith(".xlsx")


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP_1366])
def test_rm_sees_the_what_if_line_on_the_scorecard(open_page, figures, viewport):
    page = open_page(viewport, locale="zh-CN")
    log_in(page, "rm")
    page.goto("/reports/scorecard/")
    expect(page.locator("[data-testid=rank]")).to_contain_text("3")
    expect(page.locator("[data-testid=what-if]")).to_contain_text("7,500,000.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opportunities.models import Change, Opportunity
from opportunities.nightly import snapshot_pipeline
from tests.browser.conftest import DESKTOP_1366, PHONE_390
from tests.browser.test_shell import log_in
from tests.factories import HoldingFactory, ProductFactory
from tests.opportunities.conftest import ensure_stages, make_opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_on_a_phone_turns_a_maturity_into_an_opportunity_and_moves_it(open_page, book):
    ensure_stages()
    product = ProductFactory(code="TD-1Y", name="一年期定期", category="time_deposit")
    matures = timezone.localdate() + timedelta(days=12)
    holding = HoldingFactory(customer=book.mine, product=product, amount=300000, matures_on=matures)
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page.goto("/")
    page.click("[data-testid=maturity-create]")
    page.wait_for_url("**/opportunities/new/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    expect(page.locator("#id_title")).to_have_value("一年期定期 到期")
    page.click("[data-testid=opportunity-save]")
    page.wait_for_url("**/opportunities/*/")
    opportunity = Opportunity.objects.get(holding=holding)
    assert (opportunity.type, opportunity.source, opportunity.amount) == (
        "retain",
        "maturity",
        300000,
    )

    page.goto("/opportunities/")
    tabs = page.locator("[data-testid=stage-tabs]")
    expect(tabs).to_be_visible()
    column = page.locator('[data-stage-column="identified"]')
    expect(column).to_be_visible()
    expect(page.locator('[data-stage-column="contacted"]')).to_be_hidden()
    column.locator("[data-testid=move-button]").click()
    page.wait_for_url("**/opportunities/?stage=identified")
    opportunity.refresh_from_db()
    assert opportunity.stage_id == "contacted"
    page.click('[data-stage-tab="contacted"]')
    expect(
        page.locator('[data-stage-column="contacted"] [data-testid=opportunity-card]')
    ).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]


def test_head_opens_the_pipeline_review_and_the_weeks_changes(open_page, personas, book):
    ensure_stages()
    from opportunities.services import move_opportunity

    first = make_opportunity(book.mine, personas.rm, title="大额存单")
    move_opportunity(actor=personas.rm, opportunity=first, to="contacted")
    make_opportunity(book.colleagues, personas.colleague, title="代发工资")
    snapshot_pipeline()
    page = open_page(DESKTOP_1366, locale="zh-CN")
    log_in(page, "head")
    page.goto("/")
    page.click("[data-testid=opportunities-head-panel] h2 a")
    page.wait_for_url("**/opportunities/review/")
    expect(page.locator("[data-testid=total-count]")).to_have_text("2")
    assert page.locator("#stage-chart").bounding_box()["height"] > 0
    week = page.locator("[data-testid=week-changes]")
    expect(week.locator('[data-change="created"]')).to_contain_text("2")
    expect(week.locator('[data-change="advanced"]')).to_contain_text("1")
    week.locator("summary").click()
    expect(week.get_by_text("大额存单")).to_be_visible()
    assert Change.objects.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP_1366["width"]

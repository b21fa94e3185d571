from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import AssetTier
from tests.browser.conftest import DESKTOP_1366, PHONE_390
from tests.browser.test_shell import log_in
from tests.factories import BalanceFactory, HoldingFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_PRODUCT = "稳享添利固定收益类理财产品365天第12期"


def test_on_a_phone_the_360_holdings_show_product_and_status_readably(open_page, book):
    product = ProductFactory(code="WM365", name=LONG_PRODUCT, category="wealth", risk_level="R2")
    HoldingFactory(
        customer=book.mine,
        product=product,
        amount=1234567.5,
        matures_on=timezone.localdate() + timedelta(days=10),
    )
    page = open_page(PHONE_390, locale="zh-CN")
    log_in(page, "rm")
    page.goto(f"/customers/{book.mine.pk}/")
    holding = page.locator("[data-testid=holding]").first
    name = holding.locator("[data-testid=holding-product]")
    line_height = name.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert name.bounding_box()["height"] <= 2 * line_height + 1  # one or two lines
    status = holding.locator("[data-testid=holding-status]")
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]


def test_on_a_phone_the_customer_list_shows_assets(open_page, book):
    page = open_page(PHONE_390, locale="zh-CN")
    log_in(page, "rm")
    page.goto("/customers/")
    name = page.locator("[data-testid=customer-link]").first
    line_height = name.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert name.bounding_box()["height"] < 1.5 * line_height  # 张伟 on one line
    assets = page.locator("[data-testid=customer-assets]").first
    expect(assets).to_be_visible()
    assert assets.inner_text().strip() == "50.00"  # 张伟's 500,000 元 in 万元
    box = assets.bounding_box()
    assert box["x"] + box["width"] <= PHONE_390["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]


def test_at_desktop_width_in_english_the_filter_selects_do_not_overlap(open_page, personas, book):
    personas.rm.language = "en"
    personas.rm.save(update_fields=["language"])
    # The demo's tier names: the longest English option is what pushed the select wide.
    for code, name, name_en, floor in [
        ("wm", "理财客户", "Wealth management customer", 200_000),
        ("wealth", "财富客户", "Wealth customer", 1_000_000),
        ("private", "私人银行客户", "Private banking customer", 6_000_000),
    ]:
        AssetTier.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "min_assets": floor}
        )
    page = open_page(DESKTOP_1366, locale="en-US")
    log_in(page, "rm")
    page.goto("/customers/")
    page.locator("#customer-filters summary").click()
    tier = page.locator("#id_asset_tier").bounding_box()
    star = page.locator("#id_star_level").bounding_box()
    apart = tier["x"] + tier["width"] <= star["x"] or star["x"] + star["width"] <= tier["x"]
    assert apart or tier["y"] + tier["height"] <= star["y"]
    assert page.locator("#id_asset_tier option").first.inner_text() == "All"
    assert page.locator("#id_star_level option").first.inner_text() == "All"
    # Every field, the folded ones too, reads the same way: its label above its control.
    fields = page.locator("#customer-filters .filter-field").all()
    assert len(fields) == 13
    for field in fields:
        label = field.locator("label").bounding_box()
        control = field.locator("select, input").bounding_box()
        assert label["y"] + label["height"] <= control["y"] + 1


def test_the_360_assets_chart_reads_in_ten_thousands_like_its_heading(open_page, book):
    BalanceFactory(customer=book.mine, month=timezone.localdate().replace(day=1))
    page = open_page(DESKTOP_1366, locale="zh-CN")
    log_in(page, "rm")
    page.goto(f"/customers/{book.mine.pk}/")
    expect(page.get_by_text("近 12 个月日均金融资产（万元）")).to_be_visible()
    tick = page.evaluate("Chart.getChart('assets-chart').options.scales.y.ticks.callback(1234567)")
    assert tick == "123.46"

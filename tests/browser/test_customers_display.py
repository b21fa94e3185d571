import pytest

from customers.models import AssetTier
from tests.browser.conftest import DESKTOP_1366
from tests.browser.test_shell import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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

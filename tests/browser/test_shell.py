import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, DESKTOP_1366, PHONE, PHONE_390
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAVIGATION = {
    "rm": (
        [
            "我的一天",
            "客户",
            "走访",
            "风险预警",
            "商机",
            "客户服务",
            "提醒",
            "考评记分卡",
            "后台任务",
        ],
        [
            "My day",
            "Customers",
            "Visits",
            "Watchlist",
            "Pipeline",
            "Service",
            "Reminders",
            "Scorecard",
            "Background jobs",
        ],
    ),
    "head": (
        ["概览", "团队", "客户", "风险预警", "商机回顾", "客户服务", "统计报表", "后台任务"],
        [
            "Overview",
            "Team",
            "Customers",
            "Risk warnings",
            "Pipeline review",
            "Service",
            "Figures",
            "Background jobs",
        ],
    ),
    "admin": (
        [
            "概览",
            "客户档案",
            "导入",
            "风险预警",
            "商机回顾",
            "客户服务",
            "用户",
            "机构",
            "统计报表",
            "后台任务",
            "运维",
        ],
        [
            "Overview",
            "Archive",
            "Import",
            "Risk warnings",
            "Pipeline review",
            "Service",
            "Users",
            "Branches",
            "Figures",
            "Background jobs",
            "Operations",
        ],
    ),
}


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_url("**/")


def open_menu_on_phone(page, viewport):
    if viewport == PHONE:
        toggler = page.locator(".navbar-toggler")
        assert toggler.is_visible()
        toggler.click()
        page.locator("#main-nav.show").wait_for()


def nav_labels(page):
    return [t.strip() for t in page.locator("[data-testid=nav] [data-nav]").all_inner_texts()]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("persona", ["rm", "head", "admin"])
def test_each_role_sees_its_navigation_in_chinese_then_english(
    open_page, personas, persona, viewport
):
    page = open_page(viewport)
    log_in(page, persona)
    chinese, english = NAVIGATION[persona]
    open_menu_on_phone(page, viewport)
    assert nav_labels(page) == chinese
    for label in chinese:
        assert page.locator("[data-testid=nav]").get_by_text(label, exact=True).is_visible()
    # The page fits the screen: nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=language-switch] button[value=en]").click()
    page.wait_for_load_state()
    open_menu_on_phone(page, viewport)
    assert nav_labels(page) == english
    assert page.locator("html").get_attribute("lang") == "en"


def test_vendored_styles_and_scripts_load_from_our_own_server(open_page, personas):
    page = open_page()
    log_in(page, "rm")
    navbar_colour = page.evaluate(
        "getComputedStyle(document.querySelector('.navbar')).backgroundColor"
    )
    assert navbar_colour != "rgba(0, 0, 0, 0)"  # Bootstrap's CSS applied
    assert page.evaluate("typeof bootstrap === 'object' && typeof htmx === 'object'")


def test_a_wrong_password_is_explained_and_the_account_locks(open_page, personas):
    page = open_page(PHONE)
    page.goto("/accounts/login/")
    for _ in range(5):
        page.fill("#id_username", "rm")
        page.fill("#id_password", "wrong")
        page.click("[data-testid=login-form] button[type=submit]")
        page.wait_for_load_state()
        if page.locator("[data-testid=locked-out]").count():
            break
        assert "用户名或密码错误" in page.content()
    assert page.locator("[data-testid=locked-out]").is_visible()
    assert "账户已锁定" in page.locator("[data-testid=locked-out]").inner_text()


def test_api_docs_render_without_the_internet(open_page, personas):
    page = open_page()
    log_in(page, "rm")
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Bank CRM API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator("text=/api/me/").first.wait_for()


# --- the bar on a phone, pagers, the back button --------------------------------------------


def test_the_unread_count_shows_on_the_folded_bar_of_a_phone(open_page, personas, book):
    from django.utils import timezone

    from reminders.models import Reminder

    today = timezone.localdate()
    Reminder.objects.create(
        kind="birthday",
        customer=book.mine,
        subject_key=f"customer:{book.mine.pk}",
        due_on=today,
        remind_on=today,
        recipient=personas.rm,
    )
    page = open_page(PHONE_390)
    log_in(page, "rm")
    assert page.locator(".navbar-toggler").is_visible()
    assert not page.locator("#main-nav").is_visible()  # the menu is folded
    badge = page.locator("[data-testid=nav-badge-bar]")
    assert badge.is_visible() and "1" in badge.inner_text()
    box = badge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]

    # On a desktop the count stays in the menu, once.
    desktop = open_page(DESKTOP_1366)
    log_in(desktop, "rm")
    assert not desktop.locator("[data-testid=nav-badge-bar]").is_visible()
    assert desktop.locator("[data-testid=nav] [data-testid=nav-badge]").inner_text() == "1"

    badge.click()
    page.wait_for_url("**/reminders/")


def page_through(page, url):
    """Next, then previous: the pager says where it is, never "2 / "."""
    page.goto(url)
    pager = page.locator("[data-testid=pagination]")
    assert pager.locator(".active").inner_text().strip() == "Page 1"
    assert pager.locator("[rel=prev]").count() == 0
    pager.locator("[rel=next]").click()
    page.wait_for_url("**page=2")
    assert pager.locator(".active").inner_text().strip() == "Page 2"
    assert "/" not in pager.inner_text()
    assert pager.locator("[rel=next]").count() == 0
    pager.locator("[rel=prev]").click()
    page.wait_for_load_state()
    assert pager.locator(".active").inner_text().strip() == "Page 1"
    assert "page=" not in page.url


def test_the_visit_list_and_the_coverage_list_page_forward_and_back(open_page, personas, book):
    from customers.models import AssetTier
    from tests.factories import CustomerFactory, VisitFactory
    from visits.models import CoverageRule

    VisitFactory.create_batch(51, customer=book.mine)
    private, _ = AssetTier.objects.get_or_create(
        code="private", defaults={"name": "私人银行客户", "min_assets": 6_000_000}
    )
    CoverageRule.objects.get_or_create(asset_tier=private, defaults={"interval_days": 30})
    CustomerFactory.create_batch(
        51, primary_rm=personas.rm, asset_tier=private, monthly_avg_assets=7_000_000
    )
    personas.rm.language = "en"
    personas.rm.save(update_fields=["language"])
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page_through(page, "/visits/?status=planned")
    assert "status=planned" in page.url
    page_through(page, "/visits/coverage/")


def test_back_after_a_search_shows_the_whole_page_and_the_address_is_clean(open_page, book):
    page = open_page(DESKTOP_1366)
    log_in(page, "rm")
    page.goto("/customers/")
    page.fill("[data-testid=customer-search]", "zw")
    links = page.locator("[data-testid=customer-table] [data-testid=customer-link]")
    expect(links).to_have_count(1)
    assert page.url.endswith("/customers/?q=zw")  # no empty filter parameters
    links.first.click()
    page.wait_for_url(f"**/customers/{book.mine.pk}/")
    page.go_back()
    page.wait_for_url("**/customers/?q=zw")
    expect(page.locator("[data-testid=nav]")).to_be_visible()
    expect(page.locator("[data-testid=customer-search]")).to_have_value("zw")
    expect(links).to_have_count(1)
    assert page.locator("html head title").count() == 1

    # A filter applied with the button leaves the empty ones out too.
    page.locator("#customer-filters button[type=submit]").click()
    page.wait_for_url("**/customers/?q=zw")
    assert page.url.endswith("/customers/?q=zw")

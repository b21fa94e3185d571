import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAVIGATION = {
    "rm": (["我的一天", "客户", "走访", "提醒"], ["My day", "Customers", "Visits", "Reminders"]),
    "head": (
        ["概览", "团队", "客户", "商机", "报表"],
        ["Overview", "Team", "Customers", "Pipeline", "Reports"],
    ),
    "admin": (
        ["概览", "客户档案", "导入", "用户", "机构"],
        ["Overview", "Archive", "Import", "Users", "Branches"],
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

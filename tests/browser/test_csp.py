"""Every page works under the Content-Security-Policy (crm.csp): no script or handler that the
policy blocks. The whole browser suite runs with the policy on; this walks the pages of each
role and uses the behaviour that used to be written inline."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_shell import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "rm": [
        "/",
        "/customers/",
        "/visits/",
        "/visits/calendar/",
        "/reminders/",
        "/jobs/",
        "/ops/api-token/",
        "/opportunities/",
        "/opportunities/list/",
        "/watchlists/",
        "/service/",
        "/service/care/",
        "/api/docs/",
    ],
    "head": [
        "/",
        "/customers/",
        "/accounts/users/",
        "/visits/coverage/",
        "/visits/diary/",
        "/opportunities/review/",
        "/watchlists/",
        "/watchlists/board/",
        "/service/statistics/",
        "/reports/",
        "/reports/monday/",
        "/reports/today/",
    ],
    "admin": [
        "/",
        "/customers/",
        "/customers/import/",
        "/accounts/users/",
        "/ops/tasks/",
        "/ops/api-tokens/",
        "/admin/",
    ],
}


def watch_violations(page):
    """CSP violations reported by the page, and console messages about the policy."""
    seen = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


@pytest.mark.parametrize("role", list(PAGES))
def test_no_page_breaks_the_policy(open_page, personas, book, role):
    page = open_page()
    violations = watch_violations(page)
    log_in(page, role)
    for url in PAGES[role]:
        response = page.goto(url)
        assert response.ok, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert violations == []


def test_filters_that_send_themselves_work_without_inline_handlers(open_page, personas, book):
    page = open_page()
    violations = watch_violations(page)
    log_in(page, "admin")
    page.goto("/accounts/users/")
    page.select_option("select[name=role]", "rm")
    page.wait_for_url("**role=rm**")
    page.goto("/visits/")
    page.select_option("select[name=status]", index=1)
    page.wait_for_url("**status=**")
    assert violations == []


def test_the_calendar_feed_address_is_selected_by_a_click(open_page, personas):
    page = open_page(viewport=PHONE)
    violations = watch_violations(page)
    log_in(page, "rm")
    page.goto("/visits/calendar/")
    page.locator("details.panel summary").first.click()
    feed = page.locator("[data-testid=feed-url]")
    feed.click()
    selected = page.evaluate(
        "() => { const f = document.querySelector('[data-testid=feed-url]');"
        " return f.selectionEnd - f.selectionStart; }"
    )
    assert selected == len(feed.input_value())
    assert violations == []


def test_a_user_makes_and_revokes_a_token(open_page, personas):
    page = open_page()
    log_in(page, "rm")
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=api-token-link]")
    page.click("[data-testid=make-token]")
    expect(page.locator("[data-testid=new-token]")).to_have_value(re.compile(r"^[0-9a-f]{40}$"))
    page.click("[data-testid=revoke-token]")
    expect(page.locator("[data-testid=no-token]")).to_be_visible()

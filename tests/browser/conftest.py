import os

import pytest

from tests.conftest import chromium_path

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still synchronous, so Django's async-safety guard is lifted for browser tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1366 = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """A page on the live server. Every test also checks that no request left the server:
    assets are vendored and the product must work on a bank network without the internet."""
    contexts, outside = [], []

    def record(request):
        if not request.url.startswith(live_server.url):
            outside.append(request.url)

    def make(viewport=DESKTOP, locale="en-US"):
        context = browser.new_context(
            viewport=viewport, locale=locale, base_url=live_server.url, is_mobile=viewport == PHONE
        )
        context.set_default_timeout(10_000)
        context.on("request", record)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the server: {outside}"

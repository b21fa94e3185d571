from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP_1366, PHONE, PHONE_390
from tests.browser.test_shell import log_in
from watchlists import services
from watchlists.models import Level, WatchItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_ticks_a_large_fund_movement_on_a_phone_and_sees_the_item(open_page, book):
    page = open_page(PHONE)
    log_in(page, "rm")
    page.goto("/visits/log/")
    page.fill("#id_customer", "zw")
    option = page.locator("#customer-options option")
    expect(option).to_have_count(1)
    page.fill("#id_customer", option.get_attribute("value"))
    page.select_option("#id_channel", "phone")
    page.fill("#id_summary", "客户说下月有一笔大额资金要转去他行")
    page.check('input[name="watch__signals"][value="large_flow"]')
    page.click("[data-testid=quick-log-form] button[type=submit]")
    page.wait_for_url("**/visits/calendar/")
    item = WatchItem.objects.get(customer=book.mine)
    assert item.source == "visit"

    page.goto(f"/customers/{book.mine.pk}/")
    panel = page.locator("[data-testid=customer-watch]")
    expect(panel.locator("[data-testid=watch-item]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    panel.locator("[data-testid=watch-item] a").first.click()
    page.wait_for_url(f"**/watchlists/{item.pk}/")
    expect(page.locator("[data-testid=item-signals]")).to_contain_text("大额资金异动")


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP_1366])
def test_head_opens_the_branch_board_and_an_escalated_item(open_page, book, personas, viewport):
    item = services.open_item(
        actor=personas.rm,
        customer=book.mine,
        kind=WatchItem.Kind.CREDIT,
        level=Level.SEVERE,
        source=WatchItem.Source.RM,
        signals=["overdue_interest"],
        review_on=timezone.localdate() - timedelta(days=10),
    )
    services.escalate(timezone.localdate() + timedelta(days=3))
    item.refresh_from_db()
    assert item.escalated_to == personas.head

    page = open_page(viewport)
    log_in(page, "head")
    page.goto("/watchlists/board/")
    expect(page.locator("[data-testid=heat-map] [data-testid=heat-cell]").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    escalated = page.locator("[data-testid=escalated-to-me] [data-testid=watch-row]")
    expect(escalated).to_have_count(1)
    escalated.locator("a").first.click()
    page.wait_for_url(f"**/watchlists/{item.pk}/")
    expect(page.locator("[data-testid=item-state]")).to_contain_text("已上报")

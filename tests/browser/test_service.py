import pytest
from playwright.sync_api import expect

from service.models import Ticket, TicketExtension
from tests.browser.conftest import DESKTOP_1366, PHONE_390
from tests.browser.test_shell import log_in
from tests.service.conftest import take

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_takes_a_complaint_on_a_phone_and_sees_its_clock(open_page, book):
    page = open_page(PHONE_390)
    log_in(page, "rm")
    page.goto("/service/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    page.fill("#id_customer", "zw")
    option = page.locator("#customer-options option")
    expect(option).to_have_count(1)
    page.fill("#id_customer", option.get_attribute("value"))
    page.select_option("#id_category", "deposits")
    page.fill("#id_content", "定期存单到期未自动转存")
    page.click("[data-testid=ticket-form] button[type=submit]")
    page.wait_for_url("**/service/*/")
    ticket = Ticket.objects.get(customer=book.mine)
    expect(page.locator("[data-testid=ticket-clock]")).to_contain_text("14")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    page.goto("/service/")
    row = page.locator("[data-testid=ticket-table] tbody tr")
    expect(row).to_have_count(1)
    assert f"#{ticket.pk}" in row.inner_text()
    expect(row.locator("[data-testid=ticket-clock]")).to_be_visible()


def test_head_approves_a_second_extension(open_page, book, personas):
    ticket = take(personas.rm, customer=book.mine)
    from service.services import extend

    extend(actor=personas.rm, ticket=ticket, reason="需调取监控录像")
    extend(actor=personas.rm, ticket=ticket, reason="需总行核实", customer_notice="已电话告知")
    page = open_page(DESKTOP_1366)
    log_in(page, "head")
    page.goto(f"/service/{ticket.pk}/")
    due_before = page.locator("[data-testid=due-at]").inner_text()
    page.click("[data-testid=approve-extension]")
    page.wait_for_url(f"**/service/{ticket.pk}/")
    expect(page.locator("[data-testid=due-at]")).not_to_have_text(due_before)
    assert TicketExtension.objects.get(ticket=ticket, number=2).approved_by == personas.head

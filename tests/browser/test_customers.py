import csv
import io

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from tests.browser.conftest import DESKTOP_1366, PHONE
from tests.browser.test_shell import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_finds_a_customer_by_initials_and_sees_the_full_id_only_on_the_360_page(open_page, book):
    page = open_page()
    log_in(page, "rm")
    page.goto("/customers/")
    page.fill("[data-testid=customer-search]", "zw")
    links = page.locator("[data-testid=customer-table] [data-testid=customer-link]")
    expect(links).to_have_count(1)  # htmx swapped the results in while typing
    assert links.all_inner_texts() == ["张伟"]
    assert "q=zw" in page.url  # the search is in the address, so back and reload keep it
    masked_id = page.locator("[data-testid=masked-id]").first
    assert masked_id.is_visible() and masked_id.inner_text() == book.mine.masked_id_number
    assert page.locator("[data-testid=masked-mobile]").first.inner_text() == book.mine.masked_mobile
    table = page.locator("[data-testid=customer-table]").inner_html()
    assert book.mine.id_number not in table and book.mine.mobile not in table
    links.first.click()
    page.wait_for_url(f"**/customers/{book.mine.pk}/")
    assert page.locator("[data-testid=full-id]").inner_text().endswith(book.mine.id_number)
    assert book.mine.mobile in page.locator("[data-testid=full-mobile]").inner_text()


def test_the_customer_list_works_on_a_phone(open_page, book):
    page = open_page(PHONE)
    log_in(page, "rm")
    page.goto("/customers/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("[data-testid=customer-search]", "shanli")
    links = page.locator("[data-testid=customer-table] [data-testid=customer-link]")
    expect(links).to_have_count(1)
    links.first.click()
    page.wait_for_url(f"**/customers/{book.assisted.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_admin_imports_a_bad_file_sees_the_row_errors_then_a_good_one(
    open_page, personas, tmp_path, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the job runs in the request
    rows = [
        ["客户号", "客户名称", "客户类型", "主办客户经理", "证件类型", "证件号码"],
        ["B0001", "钱多多", "个人", "rm", "居民身份证", "11010519491231002X"],
        ["B0002", "孙少平", "个人", "nobody", "居民身份证", "110105194912310021"],
    ]
    bad = tmp_path / "bad.csv"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    bad.write_bytes(out.getvalue().encode("gb18030"))
    good = tmp_path / "good.csv"
    out = io.StringIO()
    csv.writer(out).writerows(rows[:2])
    good.write_bytes(out.getvalue().encode("utf-8-sig"))

    page = open_page()
    log_in(page, "admin")
    page.goto("/customers/import/")
    page.set_input_files("#id_file", str(bad))
    page.click("[data-testid=import-form] button[type=submit]")
    errors = page.locator("[data-testid=import-errors]")
    errors.wait_for()
    text = errors.inner_text()
    assert "主办客户经理" in text and "证件号码" in text and "校验位" in text
    assert "3" in text  # the row numbers

    page.set_input_files("#id_file", str(good))
    page.click("[data-testid=import-form] button[type=submit]")
    page.locator("[data-testid=import-preview]").wait_for()
    page.click("[data-testid=import-preview] button[type=submit]")
    page.wait_for_url("**/jobs/*/")  # the write is a background job, watched on its page
    expect(page.get_by_test_id("job-progress")).to_have_attribute("data-state", "done")
    assert "good.csv" in page.get_by_test_id("job-message").inner_text()
    page.goto("/customers/?q=qdd")
    assert page.locator("[data-testid=customer-link]").all_inner_texts() == ["钱多多"]


def test_archiving_asks_first_and_then_says_where_to_restore(open_page, book):
    page = open_page(DESKTOP_1366, locale="zh-CN")
    log_in(page, "head")
    page.goto(f"/customers/{book.mine.pk}/")
    button = page.get_by_test_id("archive")
    expect(button).to_have_text("归档")
    button.click()
    page.wait_for_url(f"**/customers/{book.mine.pk}/archive/")
    expect(page.get_by_test_id("archive-confirm")).to_contain_text("客户档案 › 已归档")
    assert not Customer.objects.get(pk=book.mine.pk).is_archived
    page.get_by_role("link", name="取消").click()
    page.wait_for_url(f"**/customers/{book.mine.pk}/")
    assert not Customer.objects.get(pk=book.mine.pk).is_archived

    page.get_by_test_id("archive").click()
    page.get_by_test_id("confirm-archive").click()
    page.wait_for_url("**/customers/")
    expect(page.locator(".alert-success")).to_contain_text("客户档案 › 已归档")
    assert Customer.objects.get(pk=book.mine.pk).is_archived


def test_handover_of_ticked_customers_fills_in_from_and_lists_what_moved(open_page, personas, book):
    from tests.factories import CustomerFactory

    extra = CustomerFactory(name="钱多多", primary_rm=personas.rm)
    page = open_page(DESKTOP_1366, locale="zh-CN")
    log_in(page, "head")
    page.goto("/customers/")
    page.get_by_label("张伟").check()
    page.get_by_label("钱多多").check()
    page.get_by_test_id("hand-over-selected").click()
    page.wait_for_url("**/customers/handover/?*")
    assert page.locator("#id_from_rm").input_value() == str(personas.rm.pk)
    receivers = page.locator("#id_to_rm option").evaluate_all("os => os.map(o => o.value)")
    assert str(personas.rm.pk) not in receivers and str(personas.colleague.pk) in receivers
    page.select_option("#id_to_rm", str(personas.colleague.pk))
    page.fill("#id_reason", "调岗")
    page.get_by_test_id("handover-form").get_by_role("button").click()
    page.wait_for_url("**/customers/handover/?done=1")
    moved = page.get_by_test_id("moved-customer")
    assert sorted(moved.all_inner_texts()) == sorted(["张伟", "钱多多"])
    page.get_by_role("link", name="钱多多").click()
    page.wait_for_url(f"**/customers/{extra.pk}/")
    assert Customer.objects.get(pk=extra.pk).primary_rm_id == personas.colleague.pk

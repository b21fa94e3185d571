import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE_390
from tests.browser.test_shell import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rm_turns_on_wecom_on_a_phone_and_sees_the_group_is_off(open_page, personas, settings):
    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET = "ww1", "1000002", "s"
    settings.WECOM_ROBOT_WEBHOOK = ""
    page = open_page(PHONE_390, locale="zh-CN")
    log_in(page, "rm")
    page.goto("/accounts/preferences/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    expect(page.get_by_text("未开通：您的团队尚未设置企业微信群机器人。")).to_be_visible()
    expect(page.get_by_label("同时在团队企业微信群中 @我")).to_be_disabled()
    page.get_by_label("通过企业微信向我发送每日提醒汇总和紧急提醒").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("[data-error-for=wecom_userid]")).to_contain_text("请填写您的企业微信账号")
    page.get_by_label("企业微信账号").fill("zhangwei")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("[role=alert]").first).to_be_visible()
    personas.rm.refresh_from_db()
    assert personas.rm.remind_by_wecom and personas.rm.wecom_userid == "zhangwei"

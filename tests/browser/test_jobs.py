import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jobs import services
from jobs.models import Job
from tests.browser.conftest import DESKTOP_1366, PHONE_390
from tests.browser.test_shell import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP_1366], ids=["phone", "desktop"])
def test_the_progress_bar_updates_itself_until_the_download_appears(open_page, personas, viewport):
    now = timezone.now()
    job = Job.objects.create(
        owner=personas.admin,
        kind="customers.import",
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        input_filename="客户.xlsx",
    )
    services.report_progress(job, 100, 400)
    page = open_page(viewport, locale="zh-CN")
    log_in(page, "admin")
    page.goto(f"/jobs/{job.pk}/")
    bar = page.get_by_test_id("job-progress")
    expect(bar).to_contain_text("25%")
    services.report_progress(job, 300, 400)
    expect(bar).to_contain_text("75%")  # no reload: htmx asked again
    services.finish(job, message="完成", filename="结果.xlsx", content=b"x")
    expect(page.get_by_test_id("job-download")).to_be_visible()
    expect(bar).to_have_attribute("data-state", "done")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

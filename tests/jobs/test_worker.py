"""Jobs through real Celery worker processes: a job survives nothing but is never left running."""

import csv
import io
import signal
import subprocess
import time
import uuid

import pytest
from django.conf import settings

from accounts.models import User
from customers.models import Customer
from jobs import services
from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import UserFactory
from tests.test_celery import start_worker as celery_worker


def start_worker(queue, log):
    return celery_worker(queue, log, MEDIA_ROOT=str(settings.MEDIA_ROOT))


def wait_for(condition, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def customers_csv(count):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["客户号", "客户名称", "客户类型", "主办客户经理"])
    writer.writerows([f"W{n:06d}", "张三", "个人", "rm"] for n in range(count))
    return out.getvalue().encode()


@pytest.mark.worker
def test_a_worker_killed_mid_import_leaves_the_archive_unchanged_and_its_restart_fails_the_job(
    transactional_db, tmp_path
):
    admin = UserFactory(username="admin", role=User.Role.ADMIN)
    UserFactory(username="rm", role=User.Role.RM, branch=admin.branch)
    stored = services.store_upload(filename="big.csv", content=customers_csv(30_000))
    job = Job.objects.create(
        owner=admin,
        kind="customers.import",
        params={"kind": "customers"},
        input_file=stored,
        input_filename="big.csv",
    )
    queue, log = f"test-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log"
    first = start_worker(queue, log)
    second = None
    try:
        run_job.apply_async((job.pk,), queue=queue)
        # Killed once it has written a chunk inside its transaction.
        written = wait_for(lambda: Job.objects.get(pk=job.pk).live_progress()[0] >= 5000)
        assert written, log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
        assert Customer.objects.count() == 0
        assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING

        second = start_worker(queue, log)
        failed = wait_for(lambda: Job.objects.get(pk=job.pk).state == Job.State.FAILED)
        assert failed, log.read_text()
        assert "中断" in Job.objects.get(pk=job.pk).message
        assert Customer.objects.count() == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()

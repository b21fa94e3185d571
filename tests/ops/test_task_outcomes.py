import pytest
from celery import shared_task
from django.core.files.storage import default_storage
from django.utils import timezone

from jobs import services
from jobs.models import Job
from jobs.tasks import run_job
from ops.models import TaskFailure
from tests.conftest import ALL_PERSONAS, assert_scope

pytestmark = pytest.mark.django_db

NOT_ADMINS = set(ALL_PERSONAS) - {"admin", "inactive"}


@shared_task(name="tests.ops.failing_task")
def failing_task(customer_id):
    raise RuntimeError("the mail server refused")


def failed_job(owner, **fields):
    upload = services.store_upload(filename="客户.xlsx", content=b"data")
    return Job.objects.create(
        owner=owner,
        kind="customers.import",
        state=Job.State.FAILED,
        message="The job stopped because of an error. Nothing was changed.",
        params={"kind": "customers"},
        input_file=upload,
        input_filename="客户.xlsx",
        finished_at=timezone.now(),
        **fields,
    )


def test_a_failed_task_is_recorded_with_its_error():
    failing_task.apply(args=(42,))
    (failure,) = TaskFailure.objects.all()
    assert failure.task == "tests.ops.failing_task"
    assert failure.error == "RuntimeError: the mail server refused"
    assert failure.args == "(42,)"


def test_admins_see_failed_jobs_and_tasks(client_for, personas):
    failed_job(personas.rm)
    failing_task.apply(args=(1,))
    page = client_for("admin").get("/ops/tasks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "RuntimeError: the mail server refused" in text
    assert "Nothing was changed" in text
    assert 'data-testid="retry-job"' in text


def test_the_page_is_for_admins_only(client_for, personas):
    assert_scope(client_for, "/ops/tasks/", allowed={"admin"}, visible=NOT_ADMINS)


def test_retry_sends_a_failed_job_again_once(
    client_for, personas, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(run_job, "apply_async", lambda args, *a, **kw: sent.append(args))
    job = failed_job(personas.rm, result_file="")
    client = client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/ops/jobs/{job.pk}/retry/")
        client.post(f"/ops/jobs/{job.pk}/retry/")  # a second click: nothing more
    assert response.status_code == 302
    assert sent == [(job.pk,)]
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED
    assert job.message == "" and job.finished_at is None
    assert job.owner == personas.rm  # it runs as its owner, with their file
    assert default_storage.exists(job.input_file)


def test_a_job_whose_files_are_gone_is_not_retried(personas, monkeypatch):
    monkeypatch.setattr(run_job, "apply_async", lambda *a, **kw: pytest.fail("sent"))
    job = failed_job(personas.rm)
    default_storage.delete(job.input_file)
    assert services.retry_job(job.pk) is False
    done = failed_job(personas.rm)
    Job.objects.filter(pk=done.pk).update(state=Job.State.DONE)
    assert services.retry_job(done.pk) is False


def test_only_admins_retry(client_for, personas, monkeypatch):
    monkeypatch.setattr(run_job, "apply_async", lambda *a, **kw: None)
    job = failed_job(personas.rm)
    assert_scope(
        client_for,
        f"/ops/jobs/{job.pk}/retry/",
        method="post",
        allowed=set(),
        visible=NOT_ADMINS,
        personas=[p for p in ALL_PERSONAS if p != "admin"],
    )
    job.refresh_from_db()
    assert job.state == Job.State.FAILED


def test_the_real_error_of_a_crashed_job_is_kept_for_admins(personas):
    from jobs import registry

    def crashing(job):
        raise ZeroDivisionError("division by zero in the tier rule")

    registry.register("test.ops-crashing", "Crashing", crashing)
    try:
        job = Job.objects.create(owner=personas.rm, kind="test.ops-crashing")
        assert services.run_job(job.pk, worker="w1@host") == Job.State.FAILED
    finally:
        registry.KINDS.pop("test.ops-crashing")
    (failure,) = TaskFailure.objects.all()
    assert failure.task == "job test.ops-crashing"
    assert failure.error == "ZeroDivisionError: division by zero in the tier rule"
    assert failure.args == f"({job.pk},)"
    assert failure.worker == "w1@host"


def test_failed_tasks_are_kept_for_a_month(settings):
    from datetime import timedelta

    from ops.tasks import delete_old_task_failures

    settings.TASK_FAILURE_RETENTION_DAYS = 30
    old = TaskFailure.objects.create(task="a", error="E: x")
    TaskFailure.objects.filter(pk=old.pk).update(failed_at=timezone.now() - timedelta(days=31))
    recent = TaskFailure.objects.create(task="b", error="E: y")
    assert delete_old_task_failures() == 1
    assert list(TaskFailure.objects.all()) == [recent]

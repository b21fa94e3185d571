from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jobs import registry, services
from jobs.models import Job
from jobs.receivers import fail_jobs_interrupted_by_a_restart
from jobs.tasks import run_job

OTHERS = ["colleague", "head", "other_rm", "other_head", "admin"]


@pytest.fixture
def kinds():
    """Test kinds, removed again after the test."""
    seen = {}

    def counting(job):
        for done in (10, 20, 30):
            services.report_progress(job, done, 30)
            seen.setdefault("progress", []).append(Job.objects.get(pk=job.pk).live_progress())
        return registry.Outcome(
            message="30 rows", counts={"rows": 30}, filename="结果.csv", content=b"a,b\n"
        )

    def in_one_transaction(job):
        with transaction.atomic():
            services.report_progress(job, 5, 10)
            seen["inside"] = Job.objects.get(pk=job.pk).live_progress()
        return registry.Outcome()

    def refusing(job):
        raise registry.JobFailed("bad file", filename="problems.xlsx", content=b"x")

    def crashing(job):
        raise RuntimeError("boom")

    registry.register("test.counting", "Counting", counting)
    registry.register("test.transaction", "Transaction", in_one_transaction)
    registry.register("test.refusing", "Refusing", refusing)
    registry.register("test.crashing", "Crashing", crashing)
    yield seen
    for key in ("test.counting", "test.transaction", "test.refusing", "test.crashing"):
        registry.KINDS.pop(key)


def queued(owner, kind="test.counting", **fields):
    return Job.objects.create(owner=owner, kind=kind, **fields)


def test_starting_a_job_sends_it_to_a_worker_after_the_commit(
    personas, kinds, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(run_job, "apply_async", lambda args, *a, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(owner=personas.rm, kind="test.counting", params={"x": 1})
        assert sent == []
    assert sent == [(job.pk,)]
    assert job.state == Job.State.QUEUED and job.params == {"x": 1}


def test_an_unknown_kind_is_refused(personas):
    with pytest.raises(ValueError):
        services.start_job(owner=personas.rm, kind="nothing.like.this")


def test_a_job_reports_progress_and_keeps_its_result(personas, kinds):
    job = queued(personas.rm)
    assert services.run_job(job.pk) == Job.State.DONE
    assert kinds["progress"] == [(10, 30), (20, 30), (30, 30)]
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.counts == {"rows": 30}
    assert job.started_at and job.finished_at and job.percent() == 100
    assert services.read_file(job.result_file) == b"a,b\n"
    assert job.result_filename == "结果.csv"


def test_progress_reported_inside_the_jobs_transaction_is_seen_at_once(personas, kinds):
    job = queued(personas.rm, kind="test.transaction")
    services.run_job(job.pk)
    assert kinds["inside"] == (5, 10)


def test_a_job_runs_once_even_when_its_task_is_delivered_twice(personas, kinds):
    job = queued(personas.rm)
    assert services.run_job(job.pk) == Job.State.DONE
    assert services.run_job(job.pk) is None
    assert len(kinds["progress"]) == 3


def test_a_refused_job_fails_with_its_message_and_report(personas, kinds):
    job = queued(personas.rm, kind="test.refusing")
    assert services.run_job(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    assert job.message == "bad file" and job.result_filename == "problems.xlsx"
    assert services.read_file(job.result_file) == b"x"


def test_a_crashing_job_fails_with_a_plain_message(personas, kinds):
    job = queued(personas.rm, kind="test.crashing")
    assert services.run_job(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "boom" not in job.message and job.message


def running(owner, heartbeat_age):
    now = timezone.now()
    return queued(owner, state=Job.State.RUNNING, started_at=now, heartbeat_at=now - heartbeat_age)


def test_a_job_interrupted_by_a_worker_restart_is_marked_failed(personas, settings):
    settings.JOB_STALE_SECONDS = 300
    interrupted = running(personas.rm, timedelta(minutes=10))
    alive = running(personas.rm, timedelta(seconds=30))
    fail_jobs_interrupted_by_a_restart(sender=None)
    interrupted.refresh_from_db()
    alive.refresh_from_db()
    assert interrupted.state == Job.State.FAILED and interrupted.finished_at
    assert "中断" in interrupted.message  # "interrupted", in the default language
    assert alive.state == Job.State.RUNNING


def test_a_job_reporting_progress_from_its_transaction_is_not_taken_for_dead(personas, settings):
    settings.JOB_STALE_SECONDS = 300
    job = running(personas.rm, timedelta(minutes=10))
    with transaction.atomic():
        services.report_progress(job, 1, 2)  # only the cache hears of it
    assert services.fail_stale_jobs() == 0
    assert services.fail_stale_jobs(now=timezone.now() + timedelta(minutes=6)) == 1


def test_retention_deletes_the_files_of_old_jobs_and_old_uploads(personas, kinds, settings):
    settings.JOB_FILES_RETENTION_DAYS = 7
    old, recent = queued(personas.rm), queued(personas.rm)
    services.run_job(old.pk)
    services.run_job(recent.pk)
    old.refresh_from_db()
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    upload = services.store_upload(filename="客户.xlsx", content=b"data")
    later = timezone.now() + timedelta(days=8)

    recent_file = Job.objects.get(pk=recent.pk).result_file

    assert services.delete_expired_files() == 1  # the old job's result
    old.refresh_from_db()
    assert old.result_file == "" and old.files_deleted_at
    assert default_storage.exists(recent_file) and default_storage.exists(upload)
    assert services.delete_expired_files() == 0
    assert services.delete_expired_files(now=later) == 2  # the recent job's result, the upload
    assert not default_storage.exists(recent_file) and not default_storage.exists(upload)


@pytest.mark.parametrize("other", OTHERS)
def test_only_the_owner_sees_a_job_and_its_file(personas, kinds, client_for, other):
    job = queued(personas.rm)
    services.run_job(job.pk)
    detail = reverse("jobs-detail", args=[job.pk])
    download = reverse("jobs-download", args=[job.pk])

    owner = client_for("rm")
    assert owner.get(detail).status_code == 200
    response = owner.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"a,b\n"
    assert job.get_state_display() and "Counting" in owner.get(reverse("jobs-list")).text

    stranger = client_for(other)
    assert stranger.get(detail).status_code == 404
    assert stranger.get(download).status_code == 404
    assert "Counting" not in stranger.get(reverse("jobs-list")).text


def test_an_anonymous_visitor_is_sent_to_the_login(kinds, personas, client):
    job = queued(personas.rm)
    assert client.get(reverse("jobs-detail", args=[job.pk])).status_code == 302


def test_the_page_polls_while_the_job_runs_and_stops_when_it_ends(personas, kinds, client_for):
    job = running(personas.rm, timedelta(seconds=1))
    client = client_for("rm")
    url = reverse("jobs-detail", args=[job.pk])
    services.report_progress(job, 250, 1000)
    fragment = client.get(url, headers={"HX-Request": "true"}).text
    assert "hx-trigger" in fragment and "25%" in fragment and "<html" not in fragment
    assert f'hx-get="{url}"' in client.get(url).text

    services.finish(job, message="done", filename="r.csv", content=b"1")
    fragment = client.get(url, headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in fragment and "100%" in fragment
    assert reverse("jobs-download", args=[job.pk]) in fragment


def test_a_job_without_a_file_answers_404_on_download(personas, kinds, client_for):
    job = queued(personas.rm)
    assert client_for("rm").get(reverse("jobs-download", args=[job.pk])).status_code == 404


def test_the_job_list_reads_a_constant_number_of_rows(
    personas, kinds, client_for, django_assert_max_num_queries
):
    for _ in range(5):
        queued(personas.rm)
    client = client_for("rm")
    client.get(reverse("jobs-list"))
    with django_assert_max_num_queries(6):
        client.get(reverse("jobs-list"))
    for _ in range(20):
        queued(personas.rm)
    with django_assert_max_num_queries(6):
        client.get(reverse("jobs-list"))


def test_a_worker_that_starts_again_fails_the_jobs_it_left_running(personas):
    mine = running(personas.rm, timedelta(seconds=1))
    elsewhere = running(personas.rm, timedelta(seconds=1))
    Job.objects.filter(pk=mine.pk).update(worker="celery@a")
    Job.objects.filter(pk=elsewhere.pk).update(worker="celery@b")

    class Consumer:
        hostname = "celery@a"

    fail_jobs_interrupted_by_a_restart(sender=Consumer())
    assert Job.objects.get(pk=mine.pk).state == Job.State.FAILED
    assert Job.objects.get(pk=elsewhere.pk).state == Job.State.RUNNING


def test_the_task_records_which_worker_runs_the_job(personas, kinds):
    job = queued(personas.rm)
    run_job.apply(args=(job.pk,))  # in this process, as a worker would
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.worker


def test_an_uploads_name_never_becomes_a_path(personas):
    for filename in ("../../etc/passwd", "a.x/../../y", "客户.XLSX", "noext"):
        name = services.store_upload(filename=filename, content=b"1")
        assert name.startswith("uploads/") and ".." not in name and name.count("/") == 1
        assert services.read_file(name) == b"1"

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from accounts import services
from accounts.tasks import clear_expired_sessions
from crm.celery import app

ROOT = Path(__file__).resolve().parent.parent


def make_session(key, expires_in):
    return Session.objects.create(
        session_key=key, session_data="", expire_date=timezone.now() + expires_in
    )


def test_periodic_tasks_are_declared_in_one_place_and_exist():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name
    # django-celery-beat's database scheduler, through the subclass that leaves a heartbeat.
    from django_celery_beat.schedulers import DatabaseScheduler
    from kombu.utils.imports import symbol_by_name

    assert issubclass(symbol_by_name(settings.CELERY_BEAT_SCHEDULER), DatabaseScheduler)


def test_default_broker_is_the_embedded_filesystem_one():
    if "CELERY_BROKER_URL" not in os.environ:
        assert app.conf.broker_url == "filesystem://"
        assert Path(app.conf.broker_transport_options["data_folder_in"]).is_dir()


@pytest.mark.django_db
def test_clearing_sessions_removes_only_expired_ones():
    make_session("old", -timedelta(minutes=1))
    make_session("live", timedelta(minutes=10))
    assert services.clear_expired_sessions() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


@pytest.mark.django_db
def test_tasks_are_sent_only_after_the_transaction_commits(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(clear_expired_sessions, "apply_async", lambda *a, **kw: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        clear_expired_sessions.delay_on_commit()
        assert sent == []
    assert len(callbacks) == 1 and len(sent) == 1


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(clear_expired_sessions, "apply_async", lambda *a, **kw: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                clear_expired_sessions.delay_on_commit()
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert sent == []


def database_url_for_worker():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue, log, **extra_env):
    """A real Celery worker process on ``queue`` (its own hostname too), sharing the test
    database, writing to ``log``."""
    env = {**os.environ, "DATABASE_URL": database_url_for_worker(), **extra_env}
    with log.open("a") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real Celery worker process on a queue of its own, sharing the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    process = start_worker(queue, log)
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print(log.read_text())


@pytest.mark.worker
def test_a_task_runs_in_a_real_worker_process(worker):
    make_session("stale", -timedelta(hours=1))
    clear_expired_sessions.apply_async(queue=worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not Session.objects.filter(session_key="stale").exists():
            break
        time.sleep(0.5)
    assert not Session.objects.filter(session_key="stale").exists(), "the worker did not run it"

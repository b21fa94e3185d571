from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from crm.celery import app
from jobs.models import Job
from ops import health
from ops.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_well(monkeypatch):
    """Every part answers: a fresh beat heartbeat, a worker that answers the ping."""
    Heartbeat.objects.create(name="beat", at=timezone.now())
    monkeypatch.setattr(app.control, "ping", lambda timeout: [{"w1@host": {"ok": "pong"}}])


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_answers_200_when_every_part_answers(client, all_well):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) >= {"database", "cache", "broker", "beat", "workers", "pending_jobs"}
    assert body["checks"]["workers"]["answering"] == 1


def test_a_broker_that_does_not_answer_is_named(client, all_well, monkeypatch, settings):
    settings.READYZ_TIMEOUT_SECONDS = 0.5
    dead = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(app.conf, "broker_url", dead)
    # Celery reads CELERY_BROKER_URL from the environment before its settings (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    # The answer names the kind of error, never an address or a password.
    assert "127.0.0.1" not in response.content.decode()


def test_a_database_that_does_not_answer_is_named(client, all_well, monkeypatch):
    class Broken:
        def __getitem__(self, alias):
            raise OperationalError("connection refused")

        settings = {}

    monkeypatch.setattr(health, "connections", Broken())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert response.json()["checks"]["database"]["error"] == "OperationalError"


def test_a_silent_beat_is_named_and_a_beat_that_speaks_again_is_well(client, all_well, settings):
    settings.BEAT_SILENCE_SECONDS = 60
    Heartbeat.objects.filter(name="beat").update(at=timezone.now() - timedelta(seconds=61))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
    assert response.json()["checks"]["beat"]["seconds_ago"] >= 61
    Heartbeat.objects.filter(name="beat").update(at=timezone.now())
    assert client.get("/readyz").status_code == 200


def test_no_beat_ever_and_no_worker_answering_are_both_named(client, monkeypatch):
    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["beat", "workers"]


def test_jobs_waiting_too_long_are_named(client, all_well, personas, settings):
    settings.JOB_WAIT_ALARM_SECONDS = 300
    job = Job.objects.create(owner=personas.rm, kind="customers.export")
    assert client.get("/readyz").status_code == 200
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=301))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["pending_jobs"]
    assert response.json()["checks"]["pending_jobs"] == {
        "ok": False,
        "ms": response.json()["checks"]["pending_jobs"]["ms"],
        "queued": 1,
        "waiting_too_long": 1,
    }


def test_only_the_checks_chosen_make_it_fail(client, monkeypatch, settings):
    settings.READYZ_CHECKS = ["database", "cache", "broker"]
    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"]["ok"] is False


def test_health_urls_are_outside_the_login(client):
    assert reverse("healthz") == "/healthz"
    assert reverse("readyz") == "/readyz"


def test_a_failing_readyz_is_one_warning_not_an_error_each_poll(client, caplog, monkeypatch):
    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    client.get("/readyz")
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors == []
    assert any(r.getMessage() == "not ready: beat, workers" for r in caplog.records)

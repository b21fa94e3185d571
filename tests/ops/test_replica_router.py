"""The router's rules without a replica (the real one: tests/deploy/test_replica.py)."""

import pytest
from django.contrib.sessions.models import Session

from accounts.models import User
from crm import replica
from customers.models import Customer
from jobs.models import Job


@pytest.fixture
def usable(monkeypatch):
    state = {"usable": True, "reason": "", "lag_seconds": 0.0}
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "replica_state", lambda fresh=False: state)
    return state


def test_without_a_replica_everything_reads_from_the_primary():
    router = replica.ReplicaRouter()
    with replica.reading_from_replica():
        assert router.db_for_read(Customer) is None
    assert router.db_for_write(Customer) == "default"
    assert router.allow_migrate("replica", "customers") is False
    assert router.allow_migrate("default", "customers") is True


def test_reports_read_from_a_usable_replica_and_their_own_tables_from_the_primary(usable):
    router = replica.ReplicaRouter()
    assert router.db_for_read(Customer) is None  # outside a report
    with replica.reading_from_replica():
        assert router.db_for_read(Customer) == "replica"
        assert router.db_for_read(User) == "replica"
        assert router.db_for_read(Session) == "default"
        assert router.db_for_read(Job) == "default"
        assert router.db_for_write(Customer) == "default"
        usable["usable"] = False  # down or lagging
        assert router.db_for_read(Customer) is None


@pytest.mark.django_db
def test_only_get_requests_of_report_pages_are_routed(client_for, usable, monkeypatch):
    seen = []

    def recording_router_read(self, model, **hints):
        if model is Customer:
            seen.append(replica._reading_from_replica.get())

    monkeypatch.setattr(replica.ReplicaRouter, "db_for_read", recording_router_read)
    client = client_for("head")
    client.get("/visits/coverage/")
    assert seen and all(seen)
    seen.clear()
    client.get("/customers/")
    assert seen and not any(seen)


def test_modules_add_their_reports(settings):
    replica.register_replica_views("reports-monthly")
    replica.register_replica_job_kinds("reports.export")
    assert {"reports-monthly", "visits-coverage"} <= replica.replica_views()
    assert {"reports.export", "customers.export"} <= replica.replica_job_kinds()
    replica._views.discard("reports-monthly")
    replica._job_kinds.discard("reports.export")

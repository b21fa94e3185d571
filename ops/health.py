"""The checks behind /readyz: each answers (ok, detail) and never raises.

The detail is short and names no secret: a load balancer and a monitor read it, and /readyz
answers without login. The full error is logged (with the request id)."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)


def _failed(name, error):
    logger.warning("readiness check %s failed: %s: %s", name, type(error).__name__, error)
    return False, {"error": type(error).__name__}


def check_database():
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return _failed("database", error)
    return True, {}


def check_cache():
    key = f"readyz:{time.monotonic_ns()}"
    try:
        for alias in settings.CACHES:
            cache = caches[alias]
            cache.set(key, 1, timeout=10)
            if cache.get(key) != 1:
                raise RuntimeError(f"cache {alias} did not keep a value")
            cache.delete(key)
    except Exception as error:
        return _failed("cache", error)
    return True, {}


def check_broker():
    from crm.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.READYZ_TIMEOUT_SECONDS)
            # Redis connects lazily: a command proves the server answers.
            client = getattr(connection.default_channel, "client", None)
            if client is not None:
                client.ping()
    except Exception as error:
        return _failed("broker", error)
    return True, {}


def check_beat():
    from .models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name="beat").first()
    except Exception as error:
        return _failed("beat", error)
    if beat is None:
        return False, {"last_run": None}
    age = (timezone.now() - beat.at).total_seconds()
    detail = {"last_run": beat.at.isoformat(), "seconds_ago": round(age)}
    return age <= settings.BEAT_SILENCE_SECONDS, detail


def check_workers():
    from crm.celery import app

    try:
        replies = app.control.ping(timeout=settings.READYZ_TIMEOUT_SECONDS)
    except Exception as error:
        return _failed("workers", error)
    return bool(replies), {"answering": len(replies)}


def check_pending_jobs():
    from jobs.models import Job

    cutoff = timezone.now() - timedelta(seconds=settings.JOB_WAIT_ALARM_SECONDS)
    try:
        queued = Job.objects.filter(state=Job.State.QUEUED)
        waiting = queued.count()
        late = queued.filter(created_at__lt=cutoff).count()
    except Exception as error:
        return _failed("pending_jobs", error)
    return late == 0, {"queued": waiting, "waiting_too_long": late}


def check_replica():
    """Reported, never failing: reads fall back to the primary when the replica is away."""
    from crm.replica import replica_state

    state = replica_state(fresh=True)
    return True, state


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "beat": check_beat,
    "workers": check_workers,
    "pending_jobs": check_pending_jobs,
}


def readiness():
    """``(ready, body)``: ready when every check named in READYZ_CHECKS passes."""
    checks, failing = {}, []
    names = list(CHECKS)
    if "replica" in connections.settings:
        names.append("replica")
    for name in names:
        started = time.monotonic()
        # The database is needed by the checks that read rows: when it is down they say so
        # once, as "database", instead of timing out one by one.
        function = CHECKS.get(name, check_replica)
        ok, detail = function()
        checks[name] = {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1), **detail}
        if not ok and name in settings.READYZ_CHECKS:
            failing.append(name)
    return not failing, {
        "status": "ok" if not failing else "failing",
        "failing": failing,
        "checks": checks,
    }

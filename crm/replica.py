"""Reports and exports read from a PostgreSQL replica when there is one.

With ``REPLICA_DATABASE_URL`` set, the database alias ``replica`` exists and:

- the pages named in ``REPLICA_URL_NAMES`` (read-only reports; GET and HEAD only) and the job
  kinds in ``REPLICA_JOB_KINDS`` (exports) read through it; modules add theirs with
  ``register_replica_views`` / ``register_replica_job_kinds``;
- everything else, every write, and the tables a request itself keeps (sessions, login
  lockouts, jobs, the beat's) stay on the primary;
- before reading from the replica a process checks, at most every ``REPLICA_CHECK_SECONDS``,
  that it answers and replays the primary's changes less than ``REPLICA_MAX_LAG_SECONDS``
  behind; otherwise the same reads go to the primary until the next check says it is back.
"""

import contextvars
import logging
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
_reading_from_replica = contextvars.ContextVar("reading_from_replica", default=False)
_views: set[str] = set()
_job_kinds: set[str] = set()
# Apps whose tables are always read from the primary: what a request or a worker itself just
# wrote (a session, a lockout, a job's state, the beat's schedule) must be read back at once.
PRIMARY_ONLY_APPS = {"sessions", "axes", "jobs", "django_celery_beat", "ops", "admin"}

LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
       END
"""


def register_replica_views(*url_names: str) -> None:
    _views.update(url_names)


def register_replica_job_kinds(*kinds: str) -> None:
    _job_kinds.update(kinds)


def replica_views() -> set[str]:
    return _views | set(settings.REPLICA_URL_NAMES)


def replica_job_kinds() -> set[str]:
    return _job_kinds | set(settings.REPLICA_JOB_KINDS)


def configured() -> bool:
    return REPLICA in connections.settings


_state_lock = threading.Lock()
_state = {"checked": None, "usable": False, "reason": "not checked", "lag_seconds": None}


def _measure() -> dict:
    connection = connections[REPLICA]
    try:
        connection.ensure_connection()
        if connection.vendor != "postgresql":  # the test suite's mirror of the primary
            return {"usable": True, "reason": "", "lag_seconds": 0.0}
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except Exception as error:
        connection.close()
        logger.warning("replica not usable: %s: %s", type(error).__name__, error)
        return {"usable": False, "reason": "down", "lag_seconds": None}
    lag = float(lag or 0)
    if not in_recovery:
        return {"usable": True, "reason": "", "lag_seconds": 0.0}
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica lags %.1f s behind: reading from the primary", lag)
        return {"usable": False, "reason": "lagging", "lag_seconds": round(lag, 1)}
    return {"usable": True, "reason": "", "lag_seconds": round(lag, 1)}


def replica_state(*, fresh: bool = False) -> dict:
    """``{"usable", "reason", "lag_seconds"}``, measured at most every REPLICA_CHECK_SECONDS
    (or now with ``fresh``)."""
    now = time.monotonic()
    with _state_lock:
        checked = _state["checked"]
        if fresh or checked is None or now - checked >= settings.REPLICA_CHECK_SECONDS:
            _state.update(_measure(), checked=now)
        return {key: _state[key] for key in ("usable", "reason", "lag_seconds")}


def forget_state() -> None:
    with _state_lock:
        _state["checked"] = None


@contextmanager
def reading_from_replica():
    """Reads inside go to the replica when it is usable (see the module's docstring)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return "default"  # even when related to a row that was read from the replica
        if _reading_from_replica.get() and configured() and replica_state()["usable"]:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


class ReplicaMiddleware:
    """Routes the reads of the report pages (by URL name; GET and HEAD) to the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._replica_token = None
        try:
            return self.get_response(request)
        finally:
            if request._replica_token is not None:
                _reading_from_replica.reset(request._replica_token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            configured()
            and request.method in ("GET", "HEAD")
            and match is not None
            and match.url_name in replica_views()
        ):
            request._replica_token = _reading_from_replica.set(True)
        return None

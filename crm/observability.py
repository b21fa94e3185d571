"""Request ids, structured logs and error reporting.

Every request carries an id: the caller's ``X-Request-ID`` when it sends a sensible one (a load
balancer or nginx usually does), otherwise a new one; it is echoed in the answer's
``X-Request-ID`` and stamped on every log line written while the request is served, with the
id of the user once they are known. A Celery task's log lines carry the task id instead.

Log lines never carry customer data: the access line names the path without its query string
(a search is typed there), and no request body, header or form value is logged.
"""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

request_id_var = contextvars.ContextVar("request_id", default="")
_request_var = contextvars.ContextVar("request", default=None)
_user_id_var = contextvars.ContextVar("user_id", default=None)

# A request id is passed on as is only when it is short and plain (no spaces, no newlines
# that could forge a log line); anything else is replaced by a new one.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")

access_logger = logging.getLogger("crm.access")


def new_request_id() -> str:
    return uuid.uuid4().hex


def _known_user_id(request):
    """The id of the request's user if it has been looked up already; never a query."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user._wrapped if user._wrapped is not empty else None
    if user is None:
        user = request.__dict__.get("_cached_user")
    return getattr(user, "pk", None)


def current_user_id():
    return _user_id_var.get() or _known_user_id(_request_var.get())


def set_user_id(user_id) -> None:
    """Called where a user is known without the session (an API token)."""
    _user_id_var.set(user_id)


class RequestIdMiddleware:
    """First of the middleware: gives the request its id and writes one access line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else new_request_id()
        request.request_id = request_id
        tokens = (
            request_id_var.set(request_id),
            _request_var.set(request),
            _user_id_var.set(None),
        )
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if settings.ACCESS_LOG:
                access_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            variables = (request_id_var, _request_var, _user_id_var)
            for variable, token in zip(variables, tokens, strict=True):
                variable.reset(token)


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to every record (empty outside a request)."""

    def filter(self, record):
        # Django logs a request's 4xx/5xx after the middleware ended, with the request.
        request = getattr(record, "request", None)
        if not hasattr(record, "request_id"):
            record.request_id = getattr(request, "request_id", "") or request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = _known_user_id(request) if request is not None else current_user_id()
        return True


# Attributes of a LogRecord that are not extra fields given by the caller.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request"}
# Extra fields copied into the JSON line; anything else a library attaches is left out.
_EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "task", "task_id", "status_code")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, user_id, and
    the access line's method, path, status and duration; a traceback as ``exception``."""

    def format(self, record):
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
            "user_id": getattr(record, "user_id", None),
        }
        for name in _EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None and name not in _STANDARD:
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def init_sentry(dsn: str, *, environment: str, release: str = "") -> bool:
    """Error reporting to Sentry (or a compatible server) when ``SENTRY_DSN`` is set.

    Personal data stays off: no user details, cookies, headers or bodies
    (``send_default_pii=False``, request bodies never sent), no local variables in stack
    frames (they hold customers' names and numbers), and the query string is dropped.
    Returns whether it was switched on.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=scrub_event,
    )
    return True


def scrub_event(event, hint=None):
    """What reaches Sentry about a request: its method, path and request id, nothing else."""
    request = event.get("request")
    if request:
        event["request"] = {key: request[key] for key in ("method", "url") if key in request}
        if "url" in event["request"]:
            event["request"]["url"] = event["request"]["url"].split("?", 1)[0]
    event.pop("user", None)
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event

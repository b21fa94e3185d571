import json
import logging
import sys
import types

import pytest
from celery import shared_task

from crm import observability
from crm.observability import JsonFormatter, RequestContextFilter, scrub_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Log lines as the production handler writes them (JSON, with the request context)."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def test_a_request_id_sent_by_the_proxy_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abc")
    assert response["X-Request-ID"] == "lb-1234.abc"


@pytest.mark.parametrize("sent", [None, "", "two words", "x" * 200, "a\nforged line"])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = client.get("/healthz", **headers)
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != sent


def test_the_api_echoes_the_request_id_too(api_for):
    response = api_for("rm").get("/api/me/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-42"


def test_log_lines_are_json_with_request_and_user_but_no_customer_data(
    client_for, personas, book, json_lines
):
    client = client_for("rm")
    response = client.get("/customers/", {"q": "张伟"}, HTTP_X_REQUEST_ID="req-7")
    assert response.status_code == 200
    access = [line for line in json_lines if line["logger"] == "crm.access"]
    assert access == [
        {
            "time": access[0]["time"],
            "level": "INFO",
            "logger": "crm.access",
            "message": "GET /customers/ 200",
            "request_id": "req-7",
            "user_id": personas.rm.pk,
            "method": "GET",
            "path": "/customers/",
            "status": 200,
            "duration_ms": access[0]["duration_ms"],
        }
    ]
    everything = json.dumps(json_lines, ensure_ascii=False)
    assert "张伟" not in everything
    assert "q=" not in everything


def test_a_token_users_id_is_in_the_lines_of_their_request(api_for, personas, json_lines):
    api_for("head").get("/api/me/", HTTP_X_REQUEST_ID="req-9")
    (access,) = [line for line in json_lines if line["logger"] == "crm.access"]
    assert access["user_id"] == personas.head.pk
    assert access["request_id"] == "req-9"


def test_an_error_answer_is_logged_with_its_request_id(client, json_lines):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    lines = [line for line in json_lines if line["logger"] == "django.request"]
    assert lines and all(line["request_id"] == "req-404" for line in lines)


def test_a_traceback_is_one_json_field():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed"
    assert "ValueError: boom" in line["exception"]


def test_sentry_is_off_without_a_dsn():
    assert observability.init_sentry("", environment="production") is False


def test_sentry_is_switched_on_with_personal_data_off(monkeypatch):
    seen = {}
    fake = types.ModuleType("sentry_sdk")
    fake.init = lambda **options: seen.update(options)
    integrations = types.ModuleType("sentry_sdk.integrations")
    for name, cls in (("celery", "CeleryIntegration"), ("django", "DjangoIntegration")):
        module = types.ModuleType(f"sentry_sdk.integrations.{name}")
        setattr(module, cls, lambda name=cls: name)
        monkeypatch.setitem(sys.modules, f"sentry_sdk.integrations.{name}", module)
    monkeypatch.setitem(sys.modules, "sentry_sdk", fake)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", integrations)
    assert observability.init_sentry("https://k@sentry.example/1", environment="production")
    assert seen["send_default_pii"] is False
    assert seen["include_local_variables"] is False
    assert seen["max_request_body_size"] == "never"
    assert seen["before_send"] is scrub_event


def test_what_reaches_sentry_about_a_request_is_its_method_and_path():
    event = {
        "request": {
            "method": "GET",
            "url": "https://crm.example.com/customers/?q=张伟",
            "query_string": "q=张伟",
            "cookies": {"sessionid": "x"},
            "headers": {"Cookie": "sessionid=x"},
            "data": {"name": "张伟"},
        },
        "user": {"id": 3, "username": "rm"},
    }
    scrubbed = scrub_event(event)
    assert scrubbed["request"] == {"method": "GET", "url": "https://crm.example.com/customers/"}
    assert "user" not in scrubbed


@shared_task(name="tests.ops.logging_task")
def logging_task():
    logging.getLogger("tests.ops").warning("inside the task")


def test_a_tasks_log_lines_carry_its_id(json_lines):
    logging_task.apply(task_id="task-123")
    (line,) = [line for line in json_lines if line["message"] == "inside the task"]
    assert line["request_id"] == "task-123"
    assert line["user_id"] is None

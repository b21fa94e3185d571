"""A local WeCom: a real HTTP server on 127.0.0.1 that speaks the API's request and response
shapes, so the client is exercised over the network, not mocked.

- ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` → a new token, ``expires_in`` 7200;
- ``POST /cgi-bin/message/send?access_token=`` → ok, or errcode 42001 for a token it no longer
  knows (``expire_tokens()``), or ``invaliduser`` for an unknown user id;
- ``POST /cgi-bin/webhook/send?key=`` → ok for the known key, errcode 93000 otherwise;
- ``fail(path, status=…, body=…, times=…)`` makes the next calls to a path fail.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

CORP_ID = "ww-test-corp"
SECRET = "test-secret"
AGENT_ID = "1000002"
ROBOT_KEY = "robot-key-1"
KNOWN_USERS = {"zhangwei", "liqiang"}


class FakeWeCom:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []  # (path, query, body)
        self.tokens_issued = 0
        self.valid_tokens = set()
        self.failures = {}  # path → [(status, body), …]
        self.accepted = []

    def fail(self, path, *, status=200, body=None, times=1):
        self.failures.setdefault(path, []).extend([(status, body or {})] * times)

    def expire_tokens(self):
        self.valid_tokens.clear()

    def calls_to(self, path):
        return [call for call in self.calls if call[0] == path]

    @property
    def messages(self):
        """The application messages WeCom accepted (answered errcode 0 to)."""
        return list(self.accepted)

    @property
    def robot_posts(self):
        return [call[2] for call in self.calls_to("/cgi-bin/webhook/send")]

    def answer(self, path, query, body):
        with self.lock:
            self.calls.append((path, query, body))
            if self.failures.get(path):
                return self.failures[path].pop(0)
            if path == "/cgi-bin/gettoken":
                if query.get("corpid") != CORP_ID or query.get("corpsecret") != SECRET:
                    return 200, {"errcode": 40001, "errmsg": "invalid credential"}
                self.tokens_issued += 1
                token = f"token-{self.tokens_issued}"
                self.valid_tokens.add(token)
                return 200, {"errcode": 0, "access_token": token, "expires_in": 7200}
            if path == "/cgi-bin/message/send":
                if query.get("access_token") not in self.valid_tokens:
                    return 200, {"errcode": 42001, "errmsg": "access_token expired"}
                if body.get("touser") not in KNOWN_USERS:
                    return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": body.get("touser")}
                self.accepted.append(body)
                return 200, {"errcode": 0, "errmsg": "ok"}
            if path == "/cgi-bin/webhook/send":
                if query.get("key") != ROBOT_KEY:
                    return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
                return 200, {"errcode": 0, "errmsg": "ok"}
            return 404, {"errcode": 404, "errmsg": "not found"}


@pytest.fixture
def wecom(settings):
    """The local WeCom, with the settings pointing at it and an empty token cache."""
    fake = FakeWeCom()

    class Handler(BaseHTTPRequestHandler):
        def _respond(self):
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, answer = fake.answer(url.path, query, body)
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _respond

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.WECOM_API_BASE = base
    settings.WECOM_CORP_ID = CORP_ID
    settings.WECOM_AGENT_ID = AGENT_ID
    settings.WECOM_SECRET = SECRET
    settings.WECOM_ROBOT_WEBHOOK = f"{base}/cgi-bin/webhook/send?key={ROBOT_KEY}"
    fake.base = base
    cache.clear()
    yield fake
    server.shutdown()
    server.server_close()
    cache.clear()


@pytest.fixture
def on_wecom(personas):
    """rm chose WeCom messages as zhangwei; colleague chose nothing."""
    personas.rm.wecom_userid = "zhangwei"
    personas.rm.remind_by_wecom = True
    personas.rm.save()
    return personas.rm


@pytest.fixture
def due(personas, book):
    """rm has a birthday today (mine) and a maturity tomorrow (mine): one urgent."""
    from reminders.services import generate_reminders
    from tests.factories import HoldingFactory

    today = timezone.localdate()
    book.mine.birth_date = today.replace(year=1980)  # a leap year: 29 February exists
    book.mine.save()
    holding = HoldingFactory(customer=book.mine, matures_on=today + timedelta(days=1))
    generate_reminders(today)
    return SimpleNamespace(today=today, holding=holding)

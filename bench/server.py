"""gunicorn with production settings against the benchmark database, started and stopped here."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .util import BASE_DIR, log


def production_env(database_url: str) -> dict:
    """What a production deployment behind a TLS proxy sets (the client sends
    ``X-Forwarded-Proto: https`` as that proxy would)."""
    return {
        "DJANGO_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "memory://"),
        "LOG_LEVEL": "WARNING",
        # The mix sends far more API requests per persona than one user's minute allows:
        # the benchmark measures throughput, not the throttle.
        "API_THROTTLE_RATE": "",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict, workers: int):
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.process = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "crm.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        log(f"gunicorn: {self.workers} sync workers on 127.0.0.1:{self.port}")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env={**os.environ, **self.env}, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return False

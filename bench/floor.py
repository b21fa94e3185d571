"""The SQL a page runs, captured in-process, and the same SQL timed directly with psycopg2.

The floor of a page is the time its SELECTs take when sent straight to PostgreSQL, one after
another on one connection, with nothing of Django around them: what the page cannot avoid.
"""

import time

import psycopg2
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .http import summary


def capture(path: str, headers: dict) -> list[str]:
    """Every SQL statement one request for ``path`` runs (with its parameters inlined)."""
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} in-process")
    return [q["sql"] for q in queries.captured_queries]


def selects(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def time_sql(dsn: str, per_path: list[list[str]], requests: int, warmup: int = 5) -> dict:
    """Run each path's SELECTs in turn, as the page would, ``requests`` times in all."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    times = []
    with conn.cursor() as cur:
        for i in range(warmup + requests):
            statements = per_path[i % len(per_path)]
            started = time.perf_counter()
            for sql in statements:
                cur.execute(sql)
                cur.fetchall()
            if i >= warmup:
                times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return summary(times)

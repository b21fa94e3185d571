"""The benchmark's database: seeded once with ``seed_demo --customers N`` and reused.

A one-row table ``bench_marker`` records the size, the seed and the seed's version; a database
whose marker does not match is dropped and built again. Migrations run on every start, so an
index added to the code reaches the benchmark without a new seed.
"""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from .util import BASE_DIR, log

# Raise when the demo seed changes in a way that changes what is measured.
SEED_VERSION = 2


def database_url(customers: int) -> str:
    default = f"postgres://postgres@127.0.0.1:5432/crm_bench_{customers}"
    return os.environ.get("BENCH_DATABASE_URL", default)


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def read_marker(url: str) -> dict | None:
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_marker') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute("SELECT customers, seed, version, built_at, seconds FROM bench_marker")
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    keys = ["customers", "seed", "version", "built_at", "seconds"]
    return dict(zip(keys, row, strict=True))


def _recreate(url: str) -> None:
    admin_url, name = _maintenance_url(url)
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def manage(url: str, *args: str, production: bool = False) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_ENV": "development"}
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def ensure_database(customers: int, seed: int) -> dict:
    """Migrate the benchmark database, seeding it first when it is missing or differs."""
    url = database_url(customers)
    marker = read_marker(url)
    wanted = {"customers": customers, "seed": seed, "version": SEED_VERSION}
    if marker and all(marker[k] == v for k, v in wanted.items()):
        log(f"database {url} already holds {customers:,} customers (seed {seed}): reused")
        manage(url, "migrate", "--noinput", "-v0")
        # A module added since the database was built brings its demo rows (idempotent).
        manage(url, "seed_demo", "--modules", "--customers", str(customers), "--seed", str(seed))
        return {**marker, "reused": True, "url": url}
    log(f"building {url}: {customers:,} customers, seed {seed} (done once)")
    started = time.monotonic()
    _recreate(url)
    manage(url, "migrate", "--noinput", "-v0")
    manage(url, "seed_demo", "--customers", str(customers), "--seed", str(seed))
    seconds = round(time.monotonic() - started, 1)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_marker (customers integer, seed integer, version integer,"
            " built_at timestamptz DEFAULT now(), seconds real)"
        )
        cur.execute(
            "INSERT INTO bench_marker (customers, seed, version, seconds) VALUES (%s, %s, %s, %s)",
            [customers, seed, SEED_VERSION, seconds],
        )
    conn.close()
    log(f"seeded in {seconds:,.0f} s")
    return {**read_marker(url), "reused": False, "url": url}

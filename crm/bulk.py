"""Fast bulk writes for demo data and big loads: COPY on PostgreSQL, executemany on SQLite.

The ORM's bulk_create prepares every value through the query compiler, which costs more than
the database does at a million rows. These helpers take plain tuples in a known column order.
They skip model save() and signals: callers fill derived fields themselves.
"""

import csv
import io
import queue
import threading
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import DatabaseError, connection
from django.utils import timezone


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def analyze() -> None:
    """Refresh PostgreSQL's statistics after a big load; without them the planner assumes
    tiny tables and scans everything.

    Outside a transaction this is a VACUUM too: freshly copied rows are not yet marked
    visible to all, so every index scan would still read the table (no index-only scans)
    and the first reads of each page would write its hint bits. At a million customers it
    takes about half a minute."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")


def reserve_ids(model, count: int) -> list[int]:
    """Primary keys for ``count`` new rows, never used before by the table.

    PostgreSQL takes them from the table's sequence. SQLite takes them after the highest id
    the table ever had (Django's tables there are AUTOINCREMENT, which keeps it in
    ``sqlite_sequence``) and moves that mark past them; the highest id still in the table is
    not enough: after a delete, a new row would take a deleted one's id and inherit its
    history rows."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        start = max(row[0] if row else 0, cursor.fetchone()[0]) + 1
        last = start + count - 1
        if row:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
        else:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])
        return list(range(start, last + 1))


def _sqlite_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return timezone.make_naive(value, UTC).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


_PLAIN = (str, int, Decimal)  # written by the csv module as they are


def _copy_value(value):
    if type(value) in _PLAIN:  # most values: a fast exit, called millions of times
        return value
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def copy_rows(model, fields: list[str], rows, batch_size: int = 20_000) -> int:
    """Insert rows (tuples in the order of ``fields``) into the model's table."""
    total = 0
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            total += _write(model, fields, batch)
            batch = []
    if batch:
        total += _write(model, fields, batch)
    return total


def prepared_copy(model, fields: list[str], rows) -> tuple[str, io.StringIO]:
    """The COPY statement and its data for ``rows``, ready for send_copies (PostgreSQL):
    building the data is Python work, sending it is the server's."""
    opts = model._meta
    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(opts.get_field(name).column) for name in fields)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(map(_copy_value, row) for row in rows)
    buffer.seek(0)
    sql = f"COPY {qn(opts.db_table)} ({column_sql}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    return sql, buffer


def send_copies(raw, prepared, then=()) -> None:
    """Send prepared COPY statements on ``raw``, a psycopg2 connection (an Overlapped job),
    then the ``(sql, params)`` statements of ``then`` (e.g. rows derived from the copied ones
    with ``INSERT … SELECT``)."""
    for sql, buffer in prepared:
        with raw.cursor() as cursor:
            cursor.copy_expert(sql, buffer)
    for sql, params in then:
        with raw.cursor() as cursor:
            cursor.execute(sql, params)


def rows_with_ids(ids: list[int]) -> tuple[str, list]:
    """A WHERE condition on ``"id"`` matching exactly ``ids``, and its parameters.

    On SQLite, reserve_ids hands out consecutive ids, so a range is exact; on PostgreSQL a
    sequence may interleave another transaction's ids, so the list itself is passed."""
    if is_postgresql():
        return '"id" = ANY(%s)', [list(ids)]
    return '"id" BETWEEN %s AND %s', [min(ids), max(ids)]


def history_from_rows_sql(model, ids: list[int], *, history_type: str, user_id, reason, when):
    """``(sql, params)`` writing the django-simple-history rows of the ``model`` rows with
    ``ids`` as the database holds them: what copy_history writes, computed by the server
    from the rows it has just stored instead of sent a second time."""
    history = model.history.model
    qn = connection.ops.quote_name
    columns = [f.column for f in history_fields(model)]
    meta = [history._meta.get_field(name).column for name in HISTORY_META]
    where, params = rows_with_ids(ids)
    sql = (
        f"INSERT INTO {qn(history._meta.db_table)} "  # noqa: S608 (names from the models)
        f"({', '.join(qn(c) for c in columns + meta)}) "
        f"SELECT {', '.join(qn(c) for c in columns)}, %s, %s, %s, %s "
        f"FROM {qn(model._meta.db_table)} WHERE {where}"
    )
    return sql, [when, reason, history_type, user_id, *params]


def _write(model, fields, batch):
    if is_postgresql():
        connection.ensure_connection()
        send_copies(connection.connection, [prepared_copy(model, fields, batch)])
        return len(batch)
    opts = model._meta
    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(opts.get_field(name).column) for name in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {qn(opts.db_table)} ({column_sql}) VALUES ({placeholders})",  # noqa: S608
            [[_sqlite_value(v) for v in row] for row in batch],
        )
    return len(batch)


def instance_rows(instances, fields: list[str]):
    """Tuples of model instances' values for copy_rows (foreign keys by their ``_id``)."""
    attnames = [instances[0]._meta.get_field(name).attname for name in fields] if instances else []
    return [tuple(getattr(obj, a) for a in attnames) for obj in instances]


def update_rows(model, fields: list[str], rows) -> int:
    """Set ``fields`` on many rows in one statement: rows are ``(pk, value, value, …)``.

    One UPDATE … FROM (VALUES …) per batch on PostgreSQL; each row is written once, however
    many of its fields change.
    """
    rows = list(rows)
    if not rows:
        return 0
    opts = model._meta
    qn = connection.ops.quote_name
    table = qn(opts.db_table)
    columns = [opts.get_field(name).column for name in fields]
    with connection.cursor() as cursor:
        if is_postgresql():
            from psycopg2.extras import execute_values

            types = [opts.pk.db_type(connection)] + [
                opts.get_field(name).rel_db_type(connection)
                if opts.get_field(name).is_relation
                else opts.get_field(name).db_type(connection)
                for name in fields
            ]
            names = ["id", *[f"c{i}" for i in range(len(columns))]]
            assignments = ", ".join(
                f"{qn(column)} = v.c{i}::{types[i + 1]}" for i, column in enumerate(columns)
            )
            sql = (
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608
                f"FROM (VALUES %s) AS v({', '.join(names)}) WHERE t.id = v.id::{types[0]}"
            )
            execute_values(cursor.cursor, sql, rows, page_size=5000)
        else:
            assignments = ", ".join(f"{qn(column)} = %s" for column in columns)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
                [[_sqlite_value(v) for v in row[1:]] + [row[0]] for row in rows],
            )
    return len(rows)


HISTORY_META = ("history_date", "history_change_reason", "history_type", "history_user")


def history_fields(model) -> list:
    """The fields a django-simple-history model copies from ``model`` (its own id included)."""
    history = model.history.model
    return [f for f in history._meta.concrete_fields if f.name not in ("history_id", *HISTORY_META)]


def copy_history(model, instances, *, history_type: str, user, reason: str, when) -> int:
    """The django-simple-history rows for ``instances`` ("+" created, "~" changed), written
    with copy_rows: what bulk_create_with_history stores, without an ORM object per row."""
    history = model.history.model
    tracked = history_fields(model)
    user_id = user.pk if user is not None else None
    rows = (
        (*(getattr(obj, f.attname) for f in tracked), when, reason, history_type, user_id)
        for obj in instances
    )
    return copy_rows(history, [f.name for f in tracked] + list(HISTORY_META), rows)


class Overlapped:
    """Runs write jobs on a second thread while the caller prepares the next rows.

    On PostgreSQL most of a big write is the server's (COPY, index updates, constraint
    checks), and psycopg2 lets go of the GIL while it waits, so the caller's Python work and
    the server's work overlap. The thread uses the caller's connection, hence its
    transaction: psycopg2 connections may be shared between threads, and Django's wrapper is
    left to the caller. Jobs are called as ``job(raw, *args)`` where ``raw`` is the database
    driver's connection; outside a transaction, or on another database, they run at once.
    ``close()`` waits for the jobs and raises the first error one of them met.
    """

    def __init__(self):
        self.threaded = is_postgresql() and connection.in_atomic_block
        self.error = None
        connection.ensure_connection()
        self.raw = connection.connection
        if self.threaded:
            self.jobs = queue.Queue(maxsize=2)
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def _run(self):
        while (item := self.jobs.get()) is not None:
            job, args = item
            if self.error is None:
                try:
                    job(self.raw, *args)
                except Exception as error:  # handed to the caller by close()
                    self.error = error

    def submit(self, job, *args) -> None:
        if self.threaded:
            self.jobs.put((job, args))
        else:
            job(self.raw, *args)

    def close(self) -> None:
        if self.threaded:
            self.jobs.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


def immediate_constraints(immediate: bool) -> None:
    """Check deferred constraints (Django's foreign keys) at each statement, or at commit
    again, for the rest of the current transaction (PostgreSQL)."""
    if is_postgresql() and connection.in_atomic_block:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS ALL {'IMMEDIATE' if immediate else 'DEFERRED'}")
        except DatabaseError:
            if immediate:
                raise
            # The transaction failed already and will be rolled back, setting and all.

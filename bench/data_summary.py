"""What the benchmark database holds: row counts (PostgreSQL's estimates for the big tables)."""

from django.db import connection

from accounts.models import Branch, User
from customers.models import Customer


def _estimate(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return max(0, row[0]) if row else 0


def summarise(personas) -> dict:
    return {
        "customers": Customer.objects.count(),
        "holdings": _estimate("customers_holding"),
        "balances": _estimate("customers_monthlybalance"),
        "visits": _estimate("visits_visit"),
        "reminders": _estimate("reminders_reminder"),
        "branches": Branch.objects.count(),
        "rms": User.objects.filter(role=User.Role.RM).count(),
        "rm_book": Customer.objects.visible_to(personas["rm"].user).count(),
        "head_scope": Customer.objects.visible_to(personas["head"].user).count(),
    }

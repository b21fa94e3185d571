"""The kinds of reminder: a small registry, so later modules add kinds (e.g. "watch item
review due") without touching the engine in services.py.

A kind says which reminders exist for a day: ``rows(day, branch_ids, leads)`` returns unsaved
Reminder objects whose ``remind_on`` is that day, found with set-based queries (one per lead,
never a loop over customers), and ``message(reminder)`` says what it is about.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

KINDS: dict[str, "Kind"] = {}


@dataclass(frozen=True)
class Kind:
    code: str
    label: object  # a lazy translation
    rows: Callable
    message: Callable
    default_leads: dict = field(default_factory=lambda: {"": [0]})


def register(kind: Kind) -> Kind:
    KINDS[kind.code] = kind
    return kind


def leads_for(kind: Kind) -> dict[str, list[int]]:
    """{product category or "": [days ahead]}: the admins' lead times, else the defaults."""
    from .models import LeadTime

    configured: dict[str, list[int]] = {}
    for category, days in LeadTime.objects.filter(kind=kind.code).values_list(
        "product_category", "days"
    ):
        configured.setdefault(category, []).append(days)
    return configured or kind.default_leads

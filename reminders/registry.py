"""The kinds of reminder, contributed by the apps they are about.

A kind lives in the app whose records it is about (``customers/reminder_kinds.py``,
``visits/reminder_kinds.py``, a new module's own folder) and is registered from that app's
``AppConfig.ready`` with one line, ``from . import reminder_kinds  # noqa: F401``. The engine
(``services.py``), the inbox, the home page, the digest, the API and the calendar feed never
name a kind, so adding one needs no edit in ``reminders/`` and no migration of the reminders
table: a reminder names its subject by ``subject_key`` ("holding:7"), not by a column.

A kind says:

- ``key``: stored in ``Reminder.kind`` and ``LeadTime.kind`` (at most 30 characters);
- ``label``: a lazy translation, the heading of its group in the inbox;
- ``subject_type``: the first part of its reminders' ``subject_key`` ("customer", "holding");
- ``find_due(day, branch_ids, leads)``: what comes up on ``day`` for the customers of those
  branches, as ``Due`` tuples, found with set-based queries (at most one per lead, never a
  loop over customers); ``leads`` is {product category or "": [days ahead]};
- ``load_subjects(ids)``: the subjects of a page of reminders in ONE query (objects with
  ``pk``), as ``reminder.subject``; ``None`` when the message and link need no more than the
  reminder's customer (loaded already; it is the subject of "customer" kinds), its dates and
  ``reminder.subject_pk``, so the kind costs a page no query at all;
- ``message(reminder)``: the sentence in the reader's language, from ``reminder.subject`` and
  ``reminder.customer``;
- ``link(reminder)``: the URL the reminder opens (``reminder.subject_pk`` is the subject's id);
- ``default_leads``: the lead times when admins have set none under *Lead times*;
- ``copy_to_assisting_rms``: whether assisting RMs who asked for it get a copy.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.utils import formats

KINDS: dict[str, "Kind"] = {}


class Due(NamedTuple):
    """One reminder a kind found: about ``subject_id`` (of the kind's subject type) of customer
    ``customer_id``, for ``recipient_id``, on ``due_on``, ``lead_days`` ahead of it."""

    subject_id: int
    customer_id: int
    recipient_id: int
    due_on: date
    lead_days: int


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # a lazy translation
    subject_type: str
    find_due: Callable[[date, list, dict], Iterable[Due]]
    message: Callable
    link: Callable
    load_subjects: Callable[[set], Iterable] | None = None
    default_leads: dict = field(default_factory=lambda: {"": [0]})
    copy_to_assisting_rms: bool = True


def register(kind: Kind) -> Kind:
    """Add a kind. Two kinds with one key would share rows, lead times and the inbox heading,
    so a key that is taken (or too long for the table) is refused at start-up."""
    if len(kind.key) > 30 or not kind.key.isidentifier():
        raise ImproperlyConfigured(f"Reminder kind key {kind.key!r}: up to 30 letters, digits, _")
    if not kind.subject_type.isidentifier():
        raise ImproperlyConfigured(f"Reminder kind {kind.key!r}: bad subject type")
    if KINDS.get(kind.key, kind) is not kind:
        raise ImproperlyConfigured(f"Reminder kind {kind.key!r} is registered twice")
    KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    """Forget a kind (tests that install an app for a while)."""
    KINDS.pop(key, None)


def leads_for(kind: Kind) -> dict[str, list[int]]:
    """{product category or "": [days ahead]}: the admins' lead times, else the defaults."""
    from .models import LeadTime

    configured: dict[str, list[int]] = {}
    for category, days in LeadTime.objects.filter(kind=kind.key).values_list(
        "product_category", "days"
    ):
        configured.setdefault(category, []).append(days)
    return configured or kind.default_leads


def format_day(value: date) -> str:
    """A reminder's day as the reader's language writes dates (2026年11月26日, Nov. 26, 2026)."""
    return formats.date_format(value, "DATE_FORMAT")

"""Figures change only when a snapshot is written: what a page computed from the facts is
kept (in the process and in the database, for every worker) under the latest snapshot's
time, and read back until the next snapshot."""

import hashlib
import pickle  # noqa: S403 - our own rows, written by this module only

from django.core.cache import cache
from django.db.models import Max

from .models import FigureCache, SnapshotDay

SECONDS = 3600


def stamp() -> str:
    latest = SnapshotDay.objects.aggregate(m=Max("finished_at"))["m"]
    return str(latest.timestamp()) if latest else "0"


def remember(name: str, compute, *, at: str | None = None):
    """``compute()``'s value for ``name`` at the latest snapshot (``at``: already read)."""
    key = hashlib.sha256(f"{name}|{at or stamp()}".encode()).hexdigest()
    value = cache.get(f"reports:{key}")
    if value is not None:
        return value
    stored = FigureCache.objects.filter(key=key).values_list("payload", flat=True).first()
    if stored is not None:
        value = pickle.loads(bytes(stored))  # noqa: S301 - written by remember() below
    else:
        value = compute()
        FigureCache.objects.bulk_create(
            [FigureCache(key=key, payload=pickle.dumps(value))], ignore_conflicts=True
        )
    cache.set(f"reports:{key}", value, SECONDS)
    return value


def forget_all() -> None:
    FigureCache.objects.all().delete()

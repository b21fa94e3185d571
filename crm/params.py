"""Record ids read from a request: the one rule every page follows.

A malformed or out-of-range id answers 404, like a record that does not exist, never a server
error: only ASCII digits, and no more of them than a PostgreSQL bigint holds.
"""

from django.http import Http404

MAX_ID_DIGITS = 18


def parse_id(raw) -> int:
    """``raw`` (a path segment or a query value) as a record id, or Http404."""
    raw = str(raw)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        raise Http404
    return int(raw)


def id_param(request, name) -> int | None:
    """The record id in query parameter ``name``: ``None`` when absent or empty, 404 when it
    is not an id."""
    raw = request.GET.get(name, "")
    return None if raw == "" else parse_id(raw)

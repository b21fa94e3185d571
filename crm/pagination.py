"""Pages without COUNT(*): fetch one row more than shown to know whether a next page exists.

Counting every visible row costs tens of milliseconds per page at a million rows; a list
ordered on an indexed column pages cheaply without it. The HTML lists and the API share this.
"""

from dataclasses import dataclass

# Databases store row offsets in a signed 64-bit integer; a page that starts beyond it is past
# the end of any table, and asking the database for it would fail instead of finding nothing.
MAX_OFFSET = 2**63 - 1


@dataclass
class CountlessPage:
    object_list: list
    number: int
    size: int
    has_next: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_other_pages(self):
        return self.has_next or self.has_previous

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def start_index(self):
        return (self.number - 1) * self.size + 1 if self.object_list else 0


def paginate(queryset, number: int, size: int) -> CountlessPage:
    offset = (number - 1) * size
    if offset + size + 1 > MAX_OFFSET:
        return CountlessPage([], number, size, False)
    # A queryset may know a faster way to read a slice (customers: an RM's book).
    page_slice = getattr(queryset, "page_slice", None)
    if page_slice is not None:
        rows = page_slice(offset, size + 1)
    else:
        rows = list(queryset[offset : offset + size + 1])
    return CountlessPage(rows[:size], number, size, len(rows) > size)


def page_number(raw, default=1) -> int | None:
    """A page number from the query string; None when it is not a whole number ≥ 1."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value >= 1 else None

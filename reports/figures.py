"""Reading the daily facts back as figures for a period, with 环比 (on the previous period),
同比 (on the same period a year before) and 比年初 (since the start of the year).

How a period's value is made from the days (measures.py names each measure's kind):
flows add up; daily averages are the mean over the days with figures; levels are the value of
the period's last day with figures; ratios divide their parts; new daily averages (新增日均)
are the period's daily average less the daily average of the whole previous year; imported
monthly figures add up over the months the period touches.

比年初 compares a level or a daily average with its value on the last day of the previous
year (for a daily average: December's); flows and new daily averages have none.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Sum

from . import measures as M
from .models import SnapshotDay

GRAINS = ("day", "week", "month", "quarter", "year")
# Days a report may be asked about (a period and the year before it must exist).
FIRST_YEAR, LAST_YEAR = 1901, 2099
ZERO = Decimal("0")


def add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    grain: str
    start: date
    end: date

    @classmethod
    def of(cls, grain: str, day: date) -> "Period":
        if grain == "day":
            return cls(grain, day, day)
        if grain == "week":
            start = day - timedelta(days=day.weekday())
            return cls(grain, start, start + timedelta(days=6))
        if grain == "month":
            start = day.replace(day=1)
        elif grain == "quarter":
            start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        elif grain == "year":
            start = date(day.year, 1, 1)
        else:
            raise ValueError(grain)
        months = {"month": 1, "quarter": 3, "year": 12}[grain]
        return cls(grain, start, add_months(start, months) - timedelta(days=1))

    def previous(self) -> "Period":
        return Period.of(self.grain, self.start - timedelta(days=1))

    def last_year(self) -> "Period":
        if self.grain == "week":
            return Period.of("week", self.start - timedelta(weeks=52))
        try:
            day = self.start.replace(year=self.start.year - 1)
        except ValueError:  # 29 February
            day = self.start.replace(year=self.start.year - 1, day=28)
        return Period.of(self.grain, day)

    def label(self) -> str:
        if self.grain == "day":
            return self.start.isoformat()
        if self.grain == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.grain == "month":
            return f"{self.start:%Y-%m}"
        if self.grain == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    def parse_key(self) -> str:
        return self.start.isoformat()


def parse_period(grain: str | None, on: str | None, default: date) -> Period:
    grain = grain if grain in GRAINS else "month"
    try:
        day = date.fromisoformat(on) if on else default
    except ValueError:
        day = default
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        day = default
    return Period.of(grain, day)


def last_written_day(start: date, end: date) -> date | None:
    return SnapshotDay.objects.filter(
        day__gte=start, day__lte=end, finished_at__isnull=False
    ).aggregate(m=Max("day"))["m"]


def _grouped(rows, group, **aggregates) -> list[dict]:
    """Aggregates per group, or one row over everything when there is no group (a bare
    ``values()`` would group by every column)."""
    if not group:
        row = rows.aggregate(**aggregates)
        return [row] if any(v for v in row.values()) else []
    return list(rows.values(*group).annotate(**aggregates).order_by())


def _summed(rows, group, period, key_of):
    """Flows and averages of each group over ``period``: one query."""
    codes = [m.code for m in M.STORED if m.kind in (M.FLOW, M.AVERAGE)]
    found = _grouped(
        rows.filter(day__gte=period.start, day__lte=period.end),
        group,
        _days=Count("day", distinct=True),
        **{f"s_{c}": Sum(c) for c in codes},
    )
    out = {}
    for row in found:
        days = row["_days"] or 1
        figures = {}
        for code in codes:
            value = row[f"s_{code}"] or ZERO
            figures[code] = value / days if M.BY_CODE[code].kind == M.AVERAGE else value
        out[key_of(row)] = figures
    return out


def _levels(rows, group, day, key_of):
    codes = [m.code for m in M.STORED if m.kind == M.LEVEL]
    if day is None:
        return {}
    found = _grouped(rows.filter(day=day), group, **{c: Sum(c) for c in codes})
    return {key_of(row): {c: row[c] or ZERO for c in codes} for row in found}


def _external(external, group, period, key_of):
    if external is None:
        return {}
    out = {}
    for row in (
        external.filter(month__gte=period.start.replace(day=1), month__lte=period.end)
        .values(*group, "measure")
        .annotate(total=Sum("amount"))
        .order_by()
    ):  # grouped by the measure at least
        out.setdefault(key_of(row), {})[row["measure"]] = row["total"]
    return out


def figures(rows, period: Period, *, group=(), external=None, derived=True) -> dict:
    """``{group key: {measure code: value}}`` for ``period`` from a queryset of daily facts
    (RmDay or BranchDay, already scoped), grouped by the fields in ``group`` (none: one
    key, ``None``). ``external``: the ExternalFigure rows that belong to the same scope."""
    group = tuple(group)

    def key_of(row):
        if not group:
            return None
        return row[group[0]] if len(group) == 1 else tuple(row[g] for g in group)

    sums = _summed(rows, group, period, key_of)
    levels = _levels(rows, group, last_written_day(period.start, period.end), key_of)
    ext = _external(external, group, period, key_of)
    last_year = Period(
        "year", date(period.start.year - 1, 1, 1), date(period.start.year - 1, 12, 31)
    )
    base = _summed(rows, group, last_year, key_of) if derived else {}
    out = {}
    for key in set(sums) | set(levels) | set(ext):
        values = {code: ZERO for code in M.STORED_CODES}
        values.update(sums.get(key, {}))
        values.update(levels.get(key, {}))
        for code in M.EXTERNAL_CODES:
            values[code] = ext.get(key, {}).get(code, ZERO)
        for measure in M.MEASURES:
            if measure.kind == M.RATIO:
                top, bottom = (values[p] for p in measure.parts)
                ratio = top / bottom if bottom else None
                if ratio is not None and measure.unit == M.PERCENT:
                    ratio *= 100
                values[measure.code] = ratio
            elif measure.kind == M.NEW_AVERAGE and derived:
                (average,) = measure.parts
                values[measure.code] = values[average] - base.get(key, {}).get(average, ZERO)
        out[key] = {code: _round(v) for code, v in values.items()}
    return out


def _round(value):
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def change(now, then):
    if now is None or then is None:
        return None
    return now - then


def with_comparisons(rows, period: Period, *, external=None) -> list[dict]:
    """One scope's figures for ``period`` with 环比, 同比 and 比年初, measure by measure:
    ``[{"measure", "label", "unit", "value", "previous", "mom", "last_year", "yoy",
    "year_start", "ytd"}]`` (changes are differences; None where there is nothing to
    compare with)."""
    current = figures(rows, period, external=external).get(None, {})
    previous = figures(rows, period.previous(), external=external).get(None, {})
    last_year = figures(rows, period.last_year(), external=external).get(None, {})
    year_end = date(period.start.year - 1, 12, 31)
    opening = figures(rows, Period("day", year_end, year_end), external=external, derived=False)
    opening = opening.get(None, {})
    out = []
    for measure in M.MEASURES:
        value = current.get(measure.code, ZERO if measure.kind != M.RATIO else None)
        since_year = None
        if measure.kind in (M.LEVEL, M.AVERAGE, M.RATIO) and opening:
            since_year = change(value, opening.get(measure.code))
        out.append(
            {
                "measure": measure.code,
                "label": str(measure.label),
                "unit": measure.unit,
                "kind": measure.kind,
                "module": measure.module,
                "value": value,
                "previous": previous.get(measure.code),
                "mom": change(value, previous.get(measure.code)) if previous else None,
                "last_year": last_year.get(measure.code),
                "yoy": change(value, last_year.get(measure.code)) if last_year else None,
                "ytd": since_year,
            }
        )
    return out


def trend(rows, period: Period, code: str, points: int = 12) -> list[tuple[str, Decimal]]:
    """A stored flow or daily average over the ``points`` periods of the same grain up to
    ``period``: one query of the daily totals, folded into periods here."""
    periods = [period]
    while len(periods) < points:
        periods.insert(0, periods[0].previous())
    daily = dict(
        rows.filter(day__gte=periods[0].start, day__lte=period.end)
        .values("day")
        .annotate(total=Sum(code))
        .order_by()
        .values_list("day", "total")
    )
    average = M.BY_CODE[code].kind in (M.AVERAGE, M.LEVEL)
    out = []
    for p in periods:
        values = [v for d, v in daily.items() if p.start <= d <= p.end]
        if not values:
            out.append((p.label(), ZERO))
        elif average:
            out.append((p.label(), _round(sum(values) / len(values))))
        else:
            out.append((p.label(), _round(sum(values))))
    return out

"""Measure providers: each fills some columns of the daily facts for a range of days, with
a few set-based queries (grouped by RM and day), never a loop over customers.

A provider names the app it reads (``module``); it runs only while that app is installed, so
the snapshot job works the same with or without watchlists, opportunities and service.
The module providers live here, in reports, because the modules must never import reports.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .measures import VISIT_CHANNEL_MEASURES

ZERO = Decimal("0")


@dataclass
class Batch:
    """The days a run writes, the RMs it writes them for, and what providers found."""

    start: date
    end: date
    rm_branch: dict  # rm id -> branch id
    facts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    breakdowns: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def state_days(self) -> list[date]:
        """Days on which counts that only exist as they stand now (tier mix, coverage) are
        taken: the first day, month ends and the last seven days of the run; the days
        between carry the last one's figures."""
        return [
            d
            for d in self.days
            if d >= self.end - timedelta(days=6)
            or d == self.start
            or (d + timedelta(days=1)).day == 1
        ]

    def add(self, rm_id, day, code, value):
        if rm_id in self.rm_branch and value:
            self.facts[(rm_id, day)][code] += Decimal(value)

    def put(self, rm_id, day, code, value):
        if rm_id in self.rm_branch:
            self.facts[(rm_id, day)][code] = Decimal(value or 0)

    def breakdown(self, rm_id, day, dimension, key, value):
        if rm_id in self.rm_branch and value:
            self.breakdowns[(rm_id, day, dimension, str(key))] += Decimal(value)


def day_bounds(start: date, end: date):
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def carry_forward(batch: Batch, codes, known_days):
    """Fill the days between state days with the last state day's figures."""
    known = sorted(known_days)
    if not known:
        return
    for rm_id in batch.rm_branch:
        last = None
        for day in batch.days:
            if day in known_days:
                last = day
            elif last is not None:
                source = batch.facts.get((rm_id, last))
                if source:
                    for code in codes:
                        if source.get(code):
                            batch.facts[(rm_id, day)][code] = source[code]


@dataclass(frozen=True)
class Provider:
    key: str
    compute: Callable[[Batch], None]
    module: str = ""  # the app it reads; "" for the core

    @property
    def active(self) -> bool:
        return not self.module or apps.is_installed(self.module)


PROVIDERS: dict[str, Provider] = {}


def provider(key: str, module: str = ""):
    def decorator(compute):
        PROVIDERS[key] = Provider(key, compute, module)
        return compute

    return decorator


def active_providers() -> list[Provider]:
    return [p for p in PROVIDERS.values() if p.active]


# ---------------------------------------------------------------------------------------------
# Core: customers, tiers, balances, visits, diary, reminders.


def _cumulative(batch, base: dict, by_day: dict, code: str, minus: dict | None = None):
    """Level on each day = base + everything added up to that day − everything removed."""
    minus = minus or {}
    for rm_id in batch.rm_branch:
        running = base.get(rm_id, 0)
        for day in batch.days:
            running += by_day.get((rm_id, day), 0) - minus.get((rm_id, day), 0)
            batch.put(rm_id, day, code, running)


@provider("customers")
def customers_provider(batch: Batch):
    """New customers by the day they were filed; the book (customers, products held,
    complete files) as it stands when the snapshot is taken, like the tier mix: the nightly
    run writes the day just ended, and a catch-up after an outage (or the first run's
    backfill) writes the book as it stands for each of its days."""
    from customers.models import Customer, Holding

    lo, hi = day_bounds(batch.start, batch.end)
    everyone = Customer.objects.all()
    for rm, day, n in (
        everyone.filter(created_at__gte=lo, created_at__lt=hi)
        .annotate(d=TruncDate("created_at"))
        .values("primary_rm", "d")
        .annotate(n=Count("id"))
        .values_list("primary_rm", "d", "n")
    ):
        batch.add(rm, day, "customers_new", n)
    live = everyone.filter(archived_at__isnull=True)
    book = dict(live.values("primary_rm").annotate(n=Count("id")).values_list("primary_rm", "n"))
    held = dict(
        Holding.objects.filter(status=Holding.Status.ACTIVE, customer__archived_at__isnull=True)
        .values("customer__primary_rm")
        .annotate(n=Count("id"))
        .values_list("customer__primary_rm", "n")
    )
    for rm_id in batch.rm_branch:
        for day in batch.days:
            batch.put(rm_id, day, "customers", book.get(rm_id, 0))
            batch.put(rm_id, day, "holdings", held.get(rm_id, 0))

    # A complete file: a way to reach the customer and the identity the rules require.
    complete = dict(
        everyone.filter(archived_at__isnull=True)
        .exclude(id_number="")
        .exclude(mobile="", kind="individual")
        .exclude(industry="", kind="corporate")
        .values("primary_rm")
        .annotate(n=Count("id"))
        .values_list("primary_rm", "n")
    )
    for rm_id, n in complete.items():
        for day in batch.days:
            batch.put(rm_id, day, "archive_complete", n)


@provider("tiers")
def tiers_provider(batch: Batch):
    from customers.models import AssetTier, Customer, StarLevel, TierChange

    tier_rank = {t.name: n for n, t in enumerate(AssetTier.objects.order_by("min_assets", "code"))}
    star_rank = {str(label): value for value, label in StarLevel.choices}
    moves = (
        TierChange.objects.filter(effective_on__gte=batch.start, effective_on__lte=batch.end)
        .values("customer__primary_rm", "effective_on", "kind", "old_value", "new_value")
        .annotate(n=Count("id"))
    )
    for row in moves:
        ranks = tier_rank if row["kind"] == TierChange.Kind.ASSET else star_rank
        prefix = "tier" if row["kind"] == TierChange.Kind.ASSET else "star"
        old = ranks.get(row["old_value"], -1)
        new = ranks.get(row["new_value"], -1)
        if new != old:
            code = f"{prefix}_up" if new > old else f"{prefix}_down"
            batch.add(row["customer__primary_rm"], row["effective_on"], code, row["n"])

    # The mix as it stands now, on the run's state days.
    live = Customer.objects.filter(archived_at__isnull=True)
    tiers = list(live.values("primary_rm", "asset_tier").annotate(n=Count("id")).order_by())
    stars = list(live.values("primary_rm", "star_level").annotate(n=Count("id")).order_by())
    for day in batch.state_days:
        for row in tiers:
            batch.breakdown(row["primary_rm"], day, "tier", row["asset_tier"] or "", row["n"])
        for row in stars:
            batch.breakdown(row["primary_rm"], day, "star", row["star_level"], row["n"])


def months_between(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


@provider("balances")
def balances_provider(batch: Batch):
    """Each day carries the daily averages (日均) of its month; a month not loaded yet
    carries the last loaded month's, so the current month is not shown as empty."""
    from customers.models import CustomerAssistant, MonthlyBalance

    from .models import CreditPolicy

    months = months_between(batch.start, batch.end)
    first = (months[0] - timedelta(days=1)).replace(day=1)
    share = Decimal(CreditPolicy.current().primary_share) / 100
    fields = ("avg_financial_assets", "avg_deposits", "avg_loans")
    codes = ("avg_assets", "avg_deposits", "avg_loans")
    sums = defaultdict(lambda: [ZERO, ZERO, ZERO])  # (rm, month) -> figures
    rows = (
        MonthlyBalance.objects.filter(month__gte=first, month__lte=months[-1])
        .values("customer__primary_rm", "month")
        .annotate(**{f: Sum(f) for f in fields})
        .values_list("customer__primary_rm", "month", *fields)
    )
    loaded = set()
    for rm, month, *figures in rows:
        loaded.add(month)
        sums[(rm, month)] = [Decimal(v or 0) * share for v in figures]
    if share < 1:
        # The rest of each assisted customer's balances, split evenly among its assistants.
        helpers = defaultdict(list)
        for customer_id, rm_id in CustomerAssistant.objects.values_list("customer_id", "rm_id"):
            helpers[customer_id].append(rm_id)
        for customer_id, month, *figures in MonthlyBalance.objects.filter(
            customer_id__in=list(helpers), month__gte=first, month__lte=months[-1]
        ).values_list("customer_id", "month", *fields):
            part = (1 - share) / len(helpers[customer_id])
            for rm_id in helpers[customer_id]:
                for n, value in enumerate(figures):
                    sums[(rm_id, month)][n] += Decimal(value or 0) * part
    # The month each month of the run reads: itself if loaded, else the last loaded before.
    source, last = {}, first if first in loaded else None
    for month in months:
        if month in loaded:
            last = month
        source[month] = last
    for rm_id in batch.rm_branch:
        for day in batch.days:
            month = source[day.replace(day=1)]
            if month is None:
                continue
            figures = sums.get((rm_id, month))
            if figures:
                for code, value in zip(codes, figures, strict=True):
                    batch.put(rm_id, day, code, value.quantize(Decimal("0.01")))


@provider("visits")
def visits_provider(batch: Batch):
    from visits.models import DiaryNote, Visit

    lo, hi = day_bounds(batch.start, batch.end)
    planned = (
        Visit.objects.filter(planned_start__gte=lo, planned_start__lt=hi)
        .exclude(status=Visit.Status.CANCELLED)
        .annotate(d=TruncDate("planned_start"))
        .values("rm", "d")
        .annotate(n=Count("id"))
        .values_list("rm", "d", "n")
    )
    for rm, day, n in planned:
        batch.add(rm, day, "visits_planned", n)
    done = (
        Visit.objects.filter(
            status=Visit.Status.COMPLETED, completed_at__gte=lo, completed_at__lt=hi
        )
        .annotate(d=TruncDate("completed_at"))
        .values("rm", "d", "channel")
        .annotate(n=Count("id"))
        .values_list("rm", "d", "channel", "n")
    )
    for rm, day, channel, n in done:
        batch.add(rm, day, "visits_done", n)
        if channel in VISIT_CHANNEL_MEASURES:
            batch.add(rm, day, VISIT_CHANNEL_MEASURES[channel], n)
    for rm, day in (
        DiaryNote.objects.filter(day__gte=batch.start, day__lte=batch.end)
        .exclude(text="")
        .values_list("rm", "day")
    ):
        batch.add(rm, day, "diary_days", 1)


def coverage_counts(day: date) -> dict:
    """{rm id: (customers under a visit rule, of them visited within the rule)} at the end
    of ``day``. A customer falls under the rule of their asset tier and that of their star
    level; they are covered when every rule they fall under is met (as on the coverage
    page)."""
    from customers.models import Customer
    from visits.models import CoverageRule, Visit

    rules = list(CoverageRule.objects.all())
    if not rules:
        return {}
    _lo, end = day_bounds(day, day)
    under, overdue = Q(pk__in=[]), Q(pk__in=[])
    for rule in rules:
        target = (
            Q(asset_tier_id=rule.asset_tier_id)
            if rule.asset_tier_id
            else Q(star_level=rule.star_level)
        )
        recent = Visit.objects.filter(
            customer=OuterRef("pk"),
            status=Visit.Status.COMPLETED,
            completed_at__gte=end - timedelta(days=rule.interval_days),
            completed_at__lt=end,
        )
        under |= target
        overdue |= target & ~Exists(recent)
    rows = (
        Customer.objects.filter(archived_at__isnull=True)
        .filter(under)
        .values("primary_rm")
        .annotate(due=Count("id"), met=Count("id", filter=~overdue))
        .values_list("primary_rm", "due", "met")
    )
    return {rm: (due, met) for rm, due, met in rows}


@provider("coverage")
def coverage_provider(batch: Batch):
    days = set(batch.state_days)
    for day in days:
        for rm, (due, met) in coverage_counts(day).items():
            batch.put(rm, day, "coverage_due", due)
            batch.put(rm, day, "coverage_met", met)
    carry_forward(batch, ("coverage_due", "coverage_met"), days)


@provider("reminders")
def reminders_provider(batch: Batch):
    """A reminder counts on the day it is about; done on time when done by that day."""
    from reminders.models import Reminder

    rows = (
        Reminder.objects.filter(due_on__gte=batch.start, due_on__lte=batch.end)
        .values("recipient", "due_on")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(done_at__date__lte=F("due_on"))))
        .values_list("recipient", "due_on", "n", "on_time")
    )
    for rm, day, n, on_time in rows:
        batch.add(rm, day, "reminders_due", n)
        batch.add(rm, day, "reminders_on_time", on_time)

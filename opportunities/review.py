"""The figures of the pipeline review for a head's subtree (or an admin's bank).

Every figure comes from a handful of grouped queries over the opportunities in the user's
scope (``Opportunity.objects.visible_to``), never from one query per RM or per row: one
aggregate by owner, stage, category and close month; one by furthest stage reached; one by
owner over the closed ones; the week's changes; a page of stale ones; the cross-sell
snapshots.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Branch, User
from customers.models import Product

from .models import Change, CrossSellSnapshot, LostReason, Opportunity, PipelineFigure, Stage
from .services import add_months

STALE_ROWS = 20
CHANGE_ROWS = 30
CLOSED_WINDOW_DAYS = 365


@dataclass
class Figures:
    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    def add(self, count, amount, weighted):
        self.count += count
        self.amount += amount or 0
        self.weighted += weighted or 0


@dataclass
class Review:
    stages: list
    by_stage: dict = field(default_factory=dict)
    by_rm: dict = field(default_factory=dict)
    by_category: dict = field(default_factory=dict)
    by_month: dict = field(default_factory=dict)
    forecast: list = field(default_factory=list)
    conversion: list = field(default_factory=list)
    rm_results: list = field(default_factory=list)
    changes: dict = field(default_factory=dict)
    change_rows: list = field(default_factory=list)
    lost_reasons: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    cross_sell: list = field(default_factory=list)
    total: Figures = field(default_factory=Figures)
    users: dict = field(default_factory=dict)
    as_of: date | None = None


def money(field_name):
    return Coalesce(Sum(field_name), 0, output_field=DecimalField(max_digits=20, decimal_places=2))


def stale_q(stages, today):
    """Open, and over its stage's limit or with its next step overdue."""
    over = Q()
    for stage in stages:
        if stage.is_final:
            continue
        since = timezone.make_aware(
            datetime.combine(today - timedelta(days=stage.stale_days), time.min)
        )
        over |= Q(stage_id=stage.code, stage_entered_at__lt=since)
    return Q(closed_at__isnull=True) & (over | Q(next_step_on__lt=today))


def build(user, *, today: date | None = None, now=None) -> Review:
    today = today or timezone.localdate()
    now = now or timezone.now()
    stages = list(Stage.objects.all())
    stage_by_code = {s.code: s for s in stages}
    review = Review(stages=stages)
    scoped = Opportunity.objects.visible_to(user)

    # 1-3. From last night's figures (PipelineFigure) of the branches the user sees: the
    # open pipeline by stage, RM, category and close month; the furthest stage reached; the
    # closed ones by RM. Small grouped reads, whatever the number of opportunities.
    review.as_of = PipelineFigure.objects.aggregate(day=Max("day"))["day"]
    figures = PipelineFigure.objects.filter(day=review.as_of)
    if not user.is_admin:
        figures = figures.filter(
            branch_id__in=list(Branch.objects.visible_to(user).values_list("id", flat=True))
        )
    opened = figures.filter(kind=PipelineFigure.Kind.OPEN)
    sums = {"count": Sum("n"), "amount": money("amount"), "weighted": money("weighted")}
    for field_name, target in (
        ("stage_id", review.by_stage),
        ("owner_id", review.by_rm),
        ("category", review.by_category),
        ("month", review.by_month),
    ):
        for row in opened.values(field_name).annotate(**sums).order_by():
            target.setdefault(row[field_name], Figures()).add(
                row["count"], row["amount"], row["weighted"]
            )
    for f in review.by_stage.values():
        review.total.add(f.count, f.amount, f.weighted)
    first = today.replace(day=1)
    review.forecast = [
        (m, review.by_month.get(m, Figures()).weighted)
        for m in (add_months(first, k) for k in range(3))
    ]
    reached = dict(
        figures.filter(kind=PipelineFigure.Kind.REACHED)
        .values("reached_order")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("reached_order", "total")
    )
    open_stages = [s for s in stages if not s.is_final]
    won = next((s for s in stages if s.is_won), None)
    ladder = [*open_stages, *([won] if won else [])]
    for i, stage in enumerate(ladder[:-1]):
        at_least = sum(n for order, n in reached.items() if order >= stage.order)
        further = sum(n for order, n in reached.items() if order >= ladder[i + 1].order)
        rate = round(100 * further / at_least, 1) if at_least else None
        review.conversion.append((stage, ladder[i + 1], at_least, further, rate))
    results = {
        r["owner_id"]: {
            "closed": r["closed"],
            "won": r["won_n"],
            "cycle": r["cycle"] / r["closed"] if r["closed"] else None,
        }
        for r in figures.filter(kind=PipelineFigure.Kind.CLOSED)
        .values("owner_id")
        .annotate(closed=Sum("n"), won_n=Sum("won"), cycle=Sum("cycle_days"))
        .order_by()
    }

    # 4. What changed in the seven days before last night (counts and the losses' reasons
    # from the figures), and the latest changes themselves (live, newest first).
    week_ago = now - timedelta(days=7)
    review.changes = {kind: 0 for kind, _label in Change.Kind.choices}
    for kind, n in (
        figures.filter(kind=PipelineFigure.Kind.WEEK)
        .values("stage_id")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("stage_id", "total")
    ):
        review.changes[kind] = n
    review.change_rows = list(
        Change.objects.filter(at__gte=week_ago, opportunity__in=scoped)
        .select_related("opportunity__customer", "opportunity__owner", "actor")
        .order_by("-at", "-id")[:CHANGE_ROWS]
    )
    reasons = dict(
        figures.filter(kind=PipelineFigure.Kind.LOST)
        .values("lost_reason")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("lost_reason", "total")
    )
    review.lost_reasons = [
        (reason, reasons[reason.pk]) for reason in LostReason.objects.all() if reason.pk in reasons
    ]

    # 5. Stale: over the stage's limit, or next step overdue.
    review.stale = list(
        scoped.filter(stale_q(stages, today))
        .select_related("customer", "owner", "stage")
        .order_by("next_step_on", "id")[:STALE_ROWS]
    )
    review.stale.sort(key=lambda o: (o.next_step_on is None, o.next_step_on, o.pk))

    # 6. Cross-sell ratio per RM, now and four weeks before (the nightly snapshots).
    owners = set(review.by_rm) | set(results)
    team = User.objects.visible_to(user).filter(role=User.Role.RM, is_active=True)
    rms = User.objects.filter(Q(pk__in=owners) | Q(pk__in=team.values("pk")))
    review.users = {u.pk: u for u in rms.order_by("username")}
    latest = CrossSellSnapshot.objects.filter(rm__in=review.users, day__lte=today).order_by(
        "rm_id", "-day"
    )
    snaps = defaultdict(list)
    for snap in latest.filter(day__gte=today - timedelta(days=35)):
        snaps[snap.rm_id].append(snap)
    for pk, rm in review.users.items():
        rows = snaps.get(pk, [])
        now_ratio = rows[0].ratio if rows else None
        old = next((s for s in rows if s.day <= today - timedelta(days=28)), None)
        change = (
            round(now_ratio - old.ratio, 2)
            if now_ratio is not None and old and old.ratio is not None
            else None
        )
        review.cross_sell.append((rm, now_ratio, change))
        r = results.get(pk)
        if r or pk in review.by_rm:
            review.rm_results.append(
                (
                    rm,
                    review.by_rm.get(pk, Figures()),
                    r["closed"] if r else 0,
                    r["won"] if r else 0,
                    round(100 * r["won"] / r["closed"], 1) if r and r["closed"] else None,
                    round(r["cycle"], 1) if r and r["cycle"] is not None else None,
                )
            )
    review.stage_by_code = stage_by_code
    return review


CATEGORY_LABELS = dict(Product.Category.choices)


def category_label(code):
    return CATEGORY_LABELS.get(code, "—") if code else "—"


__all__ = ["build", "category_label"]

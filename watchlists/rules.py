"""The nightly rules: signals from the data, found with set-based queries.

Rules (each admin-editable in *Watch rules*; defaults in ``models.RULE_DEFAULTS``):

- ``assets_drop`` (attrition): the latest month's average financial assets down more than
  X % (30) on the month before: attention; down more than Y % (50) on three months before:
  warning.
- ``tier_drop`` (attrition): a move to a lower asset tier in the last 31 days: attention.
- ``not_renewed`` (attrition): a time deposit, large CD or wealth product of at least the
  threshold (500,000) that matured 30 to 59 days ago, with no deposit or wealth product
  opened since: attention.
- ``overdue`` (credit, from the risk data): overdue ≥ 1 day attention, ≥ 30 warning, ≥ 90
  or classification substandard or worse severe.
- ``downgrade`` (credit): classification or rating worse than in the customer's previous
  risk data: warning.
- ``account_status`` (credit): a frozen account: warning.

Each rule opens at most one active item per customer (a partial unique constraint on
(customer, rule)); candidates are inserted with conflict-ignore, so a rerun or two workers
racing create nothing twice, and an open item whose signal worsened is raised in one UPDATE
per level instead of a new one being opened. A customer whose item of the rule was closed
after the evidence's date is left alone until new evidence comes.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from customers.models import AssetTier, Customer, Holding, MonthlyBalance, TierChange

from . import services
from .models import (
    ACTIVE_STATES,
    DEPOSIT_CATEGORIES,
    RENEWABLE_CATEGORIES,
    RULE_DEFAULTS,
    AccountStatus,
    Classification,
    LedgerEntry,
    Level,
    RiskSignal,
    Signal,
    WatchItem,
    WatchRule,
    join_signals,
)

CHUNK = 5000


def ensure_rules() -> dict:
    """{key: WatchRule}: every rule, created with its defaults if admins have not saved it."""
    WatchRule.objects.bulk_create(
        [
            WatchRule(key=key, level=level, threshold=t1, threshold_2=t2, threshold_3=t3, note=note)
            for key, (level, t1, t2, t3, note) in RULE_DEFAULTS.items()
        ],
        ignore_conflicts=True,
    )
    return {rule.key: rule for rule in WatchRule.objects.all()}


def _closed_after(rule_key, day_field):
    """An item of this rule on the row's customer closed on or after the evidence's day."""
    return Exists(
        WatchItem.objects.filter(
            customer_id=OuterRef("customer_id"),
            rule=rule_key,
            closed_at__date__gte=OuterRef(day_field),
        ).exclude(state__in=ACTIVE_STATES)
    )


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# Candidates: (customer id, owner id, level, signals, text).


def assets_drop(rule, today):
    month = (
        MonthlyBalance.objects.filter(month__lte=today)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if month is None:
        return []
    x = (rule.threshold or Decimal(30)) / 100
    y = (rule.threshold_2 or Decimal(50)) / 100
    balance = MonthlyBalance._meta.db_table
    customer = Customer._meta.db_table
    item = WatchItem._meta.db_table
    sql = f"""
        SELECT b.customer_id, c.primary_rm_id,
               CASE WHEN q.avg_financial_assets > 0
                         AND b.avg_financial_assets < q.avg_financial_assets * %s
                    THEN 2 ELSE 1 END
        FROM {balance} b
        JOIN {customer} c ON c.id = b.customer_id AND c.archived_at IS NULL
        LEFT JOIN {balance} p ON p.customer_id = b.customer_id AND p.month = %s
        LEFT JOIN {balance} q ON q.customer_id = b.customer_id AND q.month = %s
        WHERE b.month = %s
          AND ((p.avg_financial_assets > 0
                AND b.avg_financial_assets < p.avg_financial_assets * %s)
               OR (q.avg_financial_assets > 0
                   AND b.avg_financial_assets < q.avg_financial_assets * %s))
          AND NOT EXISTS (SELECT 1 FROM {item} i WHERE i.customer_id = b.customer_id
                          AND i.rule = %s AND i.closed_at >= %s)
    """  # noqa: S608 - table names from the models, values as parameters
    params = [
        1 - y,
        _add_months(month, -1),
        _add_months(month, -3),
        month,
        1 - x,
        1 - y,
        rule.key,
        timezone.make_aware(datetime.combine(month, time.min)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(c, o, level, [Signal.ASSETS_DOWN, Signal.FUND_MOVEMENT], "") for c, o, level in rows]


def tier_drop(rule, today):
    tiers = list(AssetTier.objects.order_by("min_assets").values_list("name", flat=True))
    drops = [(a, b) for i, a in enumerate(tiers) for b in ["", *tiers[:i]]]
    if not drops:
        return []
    q = Q()
    for old, new in drops:
        q |= Q(old_value=old, new_value=new)
    rows = (
        TierChange.objects.filter(
            q,
            kind=TierChange.Kind.ASSET,
            effective_on__gte=today - timedelta(days=31),
            customer__archived_at__isnull=True,
        )
        .exclude(_closed_after(rule.key, "effective_on"))
        .values_list("customer_id", "customer__primary_rm_id")
        .distinct()
    )
    return [(c, o, rule.level, [Signal.TIER_DROP], "") for c, o in rows]


def not_renewed(rule, today):
    amount = rule.threshold or Decimal(500000)
    grace = int(rule.threshold_2 or 30)
    renewed = Holding.objects.filter(
        customer_id=OuterRef("customer_id"),
        product__category__in=[*RENEWABLE_CATEGORIES, *DEPOSIT_CATEGORIES],
        status=Holding.Status.ACTIVE,
        opened_on__gte=OuterRef("matures_on"),
    )
    rows = (
        Holding.objects.filter(
            product__category__in=RENEWABLE_CATEGORIES,
            amount__gte=amount,
            matures_on__lte=today - timedelta(days=grace),
            matures_on__gt=today - timedelta(days=grace + 30),
            customer__archived_at__isnull=True,
        )
        .exclude(Exists(renewed))
        .exclude(_closed_after(rule.key, "matures_on"))
        .values_list("customer_id", "customer__primary_rm_id")
        .distinct()
    )
    return [(c, o, rule.level, [Signal.NOT_RENEWED, Signal.FUND_MOVEMENT], "") for c, o in rows]


def _latest_signals(rule_key):
    newer = RiskSignal.objects.filter(
        customer_id=OuterRef("customer_id"), as_of__gt=OuterRef("as_of")
    )
    return (
        RiskSignal.objects.filter(customer__archived_at__isnull=True)
        .exclude(Exists(newer))
        .exclude(_closed_after(rule_key, "as_of"))
    )


def overdue(rule, today):
    t1 = int(rule.threshold or 1)
    t2 = int(rule.threshold_2 or 30)
    t3 = int(rule.threshold_3 or 90)
    rows = (
        _latest_signals(rule.key)
        .filter(Q(overdue_days__gte=t1) | Q(classification__gte=Classification.SUBSTANDARD))
        .values_list(
            "customer_id",
            "customer__primary_rm_id",
            "overdue_days",
            "classification",
            "overdue_principal",
            "overdue_interest",
        )
    )
    found = []
    for customer_id, owner_id, days, grade, principal, interest in rows:
        if days >= t3 or (grade or 0) >= Classification.SUBSTANDARD:
            level = Level.SEVERE
        elif days >= t2:
            level = Level.WARNING
        else:
            level = Level.ATTENTION
        signals = [
            s
            for s, on in (
                (Signal.OVERDUE_PRINCIPAL, principal > 0),
                (Signal.OVERDUE_INTEREST, interest > 0 or not principal),
            )
            if on
        ]
        found.append((customer_id, owner_id, level, signals, ""))
    return found


def downgrade(rule, today):
    previous = RiskSignal.objects.filter(
        customer_id=OuterRef("customer_id"), as_of__lt=OuterRef("as_of")
    ).order_by("-as_of")
    rows = (
        _latest_signals(rule.key)
        .annotate(
            prev_class=Subquery(previous.values("classification")[:1]),
            prev_rank=Subquery(previous.values("rating_rank")[:1]),
        )
        .filter(Q(classification__gt=F("prev_class")) | Q(rating_rank__gt=F("prev_rank")))
        .values_list("customer_id", "customer__primary_rm_id", "classification", "prev_class")
    )
    found = []
    for customer_id, owner_id, grade, prev in rows:
        worse = grade is not None and prev is not None and grade > prev
        signal = Signal.CLASSIFICATION_DOWNGRADE if worse else Signal.RATING_DOWNGRADE
        found.append((customer_id, owner_id, rule.level, [signal], ""))
    return found


def account_status(rule, today):
    rows = (
        _latest_signals(rule.key)
        .filter(account_status=AccountStatus.FROZEN)
        .values_list("customer_id", "customer__primary_rm_id")
    )
    return [(c, o, rule.level, [Signal.ACCOUNT_STATUS], "") for c, o in rows]


RULES = {
    "assets_drop": (assets_drop, WatchItem.Kind.ATTRITION, WatchItem.Source.RULE),
    "tier_drop": (tier_drop, WatchItem.Kind.ATTRITION, WatchItem.Source.RULE),
    "not_renewed": (not_renewed, WatchItem.Kind.ATTRITION, WatchItem.Source.RULE),
    "overdue": (overdue, WatchItem.Kind.CREDIT, WatchItem.Source.IMPORT),
    "downgrade": (downgrade, WatchItem.Kind.CREDIT, WatchItem.Source.IMPORT),
    "account_status": (account_status, WatchItem.Kind.CREDIT, WatchItem.Source.IMPORT),
}


def apply(rule_key, kind, source, candidates, today=None) -> dict:
    """Open or raise items for a rule's candidates; returns {"opened": n, "raised": n}."""
    today = today or timezone.localdate()
    now = timezone.now()
    review = {level: services._review_on(level, today) for level in Level.values}
    with transaction.atomic():
        WatchItem.objects.bulk_create(
            [
                WatchItem(
                    customer_id=customer_id,
                    kind=kind,
                    level=level,
                    source=source,
                    rule=rule_key,
                    signals=join_signals(signals),
                    description=text,
                    owner_id=owner_id,
                    review_on=review[level],
                    opened_at=now,
                )
                for customer_id, owner_id, level, signals, text in candidates
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        new_items = WatchItem.objects.filter(rule=rule_key, opened_at=now)
        opened = services._finish_new_items(new_items, today)
        new_ids = set(new_items.values_list("id", flat=True))
        raised_ids = []
        for level in (Level.WARNING, Level.SEVERE):
            customers = [c for c, _o, lv, _s, _t in candidates if lv == level]
            for start in range(0, len(customers), CHUNK):
                rows = WatchItem.objects.active().filter(
                    rule=rule_key, customer_id__in=customers[start : start + CHUNK], level__lt=level
                )
                ids = list(rows.values_list("id", flat=True))
                if ids:
                    WatchItem.objects.filter(pk__in=ids, level__lt=level).update(level=level)
                    LedgerEntry.objects.bulk_create(
                        [
                            LedgerEntry(
                                customer_id=c,
                                item_id=pk,
                                kind=LedgerEntry.Kind.RAISED,
                                on=today,
                                level=level,
                            )
                            for pk, c in WatchItem.objects.filter(pk__in=ids).values_list(
                                "id", "customer_id"
                            )
                        ]
                    )
                    raised_ids += ids
        if raised_ids:
            services.refresh_deadlines(raised_ids)
        spreading = list(new_items.filter(level__gte=Level.WARNING).values_list("id", flat=True))
        services.spread(spreading + raised_ids)
    return {"opened": opened, "raised": len(raised_ids), "new_ids": new_ids}


def evaluate(today=None, keys=None) -> dict:
    """Run every active rule (or those in ``keys``) for ``today``; {rule: counts}."""
    today = today or timezone.localdate()
    results = {}
    for key, rule in ensure_rules().items():
        if not rule.is_active or (keys and key not in keys) or key not in RULES:
            continue
        find, kind, source = RULES[key]
        counts = apply(key, kind, source, find(rule, today), today)
        counts.pop("new_ids")
        results[key] = counts
    return results

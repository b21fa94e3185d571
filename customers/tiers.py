"""Asset tiers and star levels, recomputed from the monthly balances by the admins' rules.

Rules (defaults from DOMAIN.md; the numbers live in AssetTier, StarRule and TierPolicy):
- Asset tier: the highest tier whose threshold the month's average financial assets reach.
  An upgrade takes effect at the start of the next month. A downgrade only after the
  customer stayed below their current tier's threshold for ``downgrade_after_months``
  consecutive months; the customer then takes the tier their latest month qualifies for.
- Star level: from the star points of the last ``star_points_months`` months, lifted to the
  minimum level of any card product the customer holds. Upgrades take effect at each month
  end; downgrades only at the end of June and of December.
Every change is kept in TierChange with its reason.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from crm.bulk import update_rows

from .models import (
    AssetTier,
    Customer,
    Holding,
    MonthlyBalance,
    StarLevel,
    StarRule,
    TierChange,
    TierPolicy,
)

CHUNK = 5000
STAR_DOWNGRADE_MONTHS = (6, 12)
STAR_NAMES = dict(StarLevel.choices)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def previous_month(today: date) -> date:
    return add_months(today.replace(day=1), -1)


@dataclass
class Rules:
    tiers: list  # AssetTier, lowest threshold first
    star_rules: list  # StarRule, lowest threshold first
    downgrade_after: int
    star_window: int

    @classmethod
    def load(cls):
        policy = TierPolicy.current()
        return cls(
            tiers=list(AssetTier.objects.order_by("min_assets")),
            star_rules=list(StarRule.objects.order_by("min_points")),
            downgrade_after=max(policy.downgrade_after_months, 1),
            star_window=max(policy.star_points_months, 1),
        )

    def tier_for(self, assets: Decimal):
        """The highest tier whose threshold is reached, or None."""
        reached = [t for t in self.tiers if assets >= t.min_assets]
        return reached[-1] if reached else None

    def star_for(self, points: Decimal) -> int:
        reached = [r.level for r in self.star_rules if points >= r.min_points and points > 0]
        return max(reached) if reached else StarLevel.NONE

    def rank(self, tier) -> int:
        return -1 if tier is None else self.tiers.index(tier)

    @cached_property
    def tiers_by_id(self):
        return {t.pk: t for t in self.tiers}


def card_minimums(customer_ids) -> dict[int, int]:
    """The minimum star level each customer's active cards give them."""
    rows = (
        Holding.objects.filter(
            customer_id__in=customer_ids,
            status=Holding.Status.ACTIVE,
            product__min_star_level__gt=0,
        )
        .values("customer_id")
        .annotate(level=Max("product__min_star_level"))
    )
    return {row["customer_id"]: row["level"] for row in rows}


def recompute_tiers(*, month: date, customer_ids=None) -> dict:
    """Apply the rules to every customer (or those given) for a month that has ended.

    ``month`` is the first day of that month; changes take effect on the first day of the
    next. Running it twice for a month changes nothing the second time.
    """
    month = month.replace(day=1)
    effective_on = add_months(month, 1)
    rules = Rules.load()
    stats = {"customers": 0, "asset_changes": 0, "star_changes": 0}
    customers = Customer.objects.order_by("id")
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    last_id = 0
    while True:
        chunk = list(
            customers.filter(pk__gt=last_id).only(
                "id", "asset_tier_id", "star_level", "monthly_avg_assets"
            )[:CHUNK]
        )
        if not chunk:
            return stats
        last_id = chunk[-1].pk
        with transaction.atomic():
            _recompute_chunk(chunk, month, effective_on, rules, stats)
        stats["customers"] += len(chunk)


def apply_rules(customer, *, month, rules, assets, points, card_level, window):
    """Apply the rules to one customer for a month that has ended, in memory.

    ``assets`` is the month's average financial assets (None when the month is missing),
    ``points`` the star points of the star window, ``card_level`` the minimum level of the
    customer's cards, ``window`` the assets of the downgrade window by month (needed only when
    the customer may drop a tier). Updates ``customer`` and returns the changes as
    ``(kind, old, new, reason)``, or None when nothing about the customer changed.
    """
    changes = []
    dirty = False
    if assets is not None:
        if customer.monthly_avg_assets != assets:
            customer.monthly_avg_assets = assets
            dirty = True
        current = rules.tiers_by_id.get(customer.asset_tier_id)
        target = rules.tier_for(assets)
        new_tier, reason = current, None
        if rules.rank(target) > rules.rank(current):
            new_tier = target
            reason = _("Monthly average assets %(assets)s reached %(tier)s (from %(min)s)") % {
                "assets": f"{assets:,.0f}",
                "tier": target.name,
                "min": f"{target.min_assets:,.0f}",
            }
        elif rules.rank(target) < rules.rank(current):
            months = [add_months(month, -n) for n in range(rules.downgrade_after)]
            if all(m in window and window[m] < current.min_assets for m in months):
                new_tier = target
                reason = _("Below the %(tier)s threshold for %(months)d consecutive months") % {
                    "tier": current.name,
                    "months": rules.downgrade_after,
                }
        if new_tier != current:
            changes.append(
                (
                    TierChange.Kind.ASSET,
                    current.name if current else "",
                    new_tier.name if new_tier else "",
                    reason,
                )
            )
            customer.asset_tier_id = new_tier.pk if new_tier else None
            dirty = True

    star_names = STAR_NAMES
    earned = rules.star_for(points)
    target_star = max(earned, card_level)
    if target_star != customer.star_level and (
        target_star > customer.star_level or month.month in STAR_DOWNGRADE_MONTHS
    ):
        if card_level > earned:
            reason = _("Holds a card that gives at least %(level)s") % {
                "level": star_names[card_level]
            }
        else:
            reason = _("%(points)s star points over %(months)d months") % {
                "points": f"{points:,.0f}",
                "months": rules.star_window,
            }
        changes.append(
            (
                TierChange.Kind.STAR,
                str(star_names[customer.star_level]),
                str(star_names[target_star]),
                reason,
            )
        )
        customer.star_level = target_star
        dirty = True
    return changes if dirty else None


def _recompute_chunk(chunk, month, effective_on, rules, stats):
    ids = [c.pk for c in chunk]
    # Three small reads per chunk, not every balance row: the month's assets, the star points
    # summed in SQL, and the downgrade window only for customers who may drop a tier.
    latest_assets = dict(
        MonthlyBalance.objects.filter(customer_id__in=ids, month=month).values_list(
            "customer_id", "avg_financial_assets"
        )
    )
    star_start = add_months(month, -rules.star_window + 1)
    points_by_customer = dict(
        MonthlyBalance.objects.filter(customer_id__in=ids, month__gte=star_start, month__lte=month)
        .values("customer_id")
        .annotate(points=Sum("star_points"))
        .values_list("customer_id", "points")
    )
    tiers_by_id = rules.tiers_by_id
    may_drop = [
        c.pk
        for c in chunk
        if c.pk in latest_assets
        and c.asset_tier_id
        and latest_assets[c.pk] < tiers_by_id[c.asset_tier_id].min_assets
    ]
    window_start = add_months(month, -rules.downgrade_after + 1)
    balances = defaultdict(dict)
    for customer_id, when, assets in MonthlyBalance.objects.filter(
        customer_id__in=may_drop, month__gte=window_start, month__lte=month
    ).values_list("customer_id", "month", "avg_financial_assets"):
        balances[customer_id][when] = assets
    cards = card_minimums(ids)
    changed, history = [], []
    for customer in chunk:
        changes = apply_rules(
            customer,
            month=month,
            rules=rules,
            assets=latest_assets.get(customer.pk),
            points=points_by_customer.get(customer.pk) or Decimal("0"),
            card_level=cards.get(customer.pk, StarLevel.NONE),
            window=balances.get(customer.pk, {}),
        )
        if changes is None:
            continue
        changed.append(customer)
        for kind, old, new, reason in changes:
            history.append(
                TierChange(
                    customer_id=customer.pk,
                    kind=kind,
                    old_value=old,
                    new_value=new,
                    effective_on=effective_on,
                    reason=reason,
                )
            )
            stats["asset_changes" if kind == TierChange.Kind.ASSET else "star_changes"] += 1

    # One statement writes every changed customer once, whichever of its fields changed.
    update_rows(
        Customer,
        ["monthly_avg_assets", "asset_tier", "star_level"],
        [(c.pk, c.monthly_avg_assets, c.asset_tier_id, c.star_level) for c in changed],
    )
    TierChange.objects.bulk_create(history, ignore_conflicts=True)

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

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

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


def _recompute_chunk(chunk, month, effective_on, rules, stats):
    ids = [c.pk for c in chunk]
    first = add_months(month, -max(rules.downgrade_after, rules.star_window) + 1)
    balances = defaultdict(dict)
    for customer_id, when, assets, points in MonthlyBalance.objects.filter(
        customer_id__in=ids, month__gte=first, month__lte=month
    ).values_list("customer_id", "month", "avg_financial_assets", "star_points"):
        balances[customer_id][when] = (assets, points)
    cards = card_minimums(ids)
    tiers_by_id = {t.pk: t for t in rules.tiers}
    star_names = dict(StarLevel.choices)
    changed, history = [], []

    for customer in chunk:
        months = balances.get(customer.pk, {})
        latest = months.get(month)
        dirty = False
        if latest is not None:
            assets = latest[0]
            if customer.monthly_avg_assets != assets:
                customer.monthly_avg_assets = assets
                dirty = True
            current = tiers_by_id.get(customer.asset_tier_id)
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
                window = [add_months(month, -n) for n in range(rules.downgrade_after)]
                below = all(w in months and months[w][0] < current.min_assets for w in window)
                if below:
                    new_tier = target
                    reason = _("Below the %(tier)s threshold for %(months)d consecutive months") % {
                        "tier": current.name,
                        "months": rules.downgrade_after,
                    }
            if new_tier != current:
                history.append(
                    TierChange(
                        customer_id=customer.pk,
                        kind=TierChange.Kind.ASSET,
                        old_value=current.name if current else "",
                        new_value=new_tier.name if new_tier else "",
                        effective_on=effective_on,
                        reason=reason,
                    )
                )
                customer.asset_tier = new_tier
                stats["asset_changes"] += 1
                dirty = True

        window = [add_months(month, -n) for n in range(rules.star_window)]
        points = sum((months[w][1] for w in window if w in months), Decimal("0"))
        earned = rules.star_for(points)
        card_level = cards.get(customer.pk, StarLevel.NONE)
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
            history.append(
                TierChange(
                    customer_id=customer.pk,
                    kind=TierChange.Kind.STAR,
                    old_value=str(star_names[customer.star_level]),
                    new_value=str(star_names[target_star]),
                    effective_on=effective_on,
                    reason=reason,
                )
            )
            customer.star_level = target_star
            stats["star_changes"] += 1
            dirty = True
        if dirty:
            changed.append(customer)

    Customer.objects.bulk_update(changed, ["asset_tier", "star_level", "monthly_avg_assets"])
    TierChange.objects.bulk_create(history, ignore_conflicts=True)

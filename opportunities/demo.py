"""Demo data of the pipeline: opportunities in every stage for every RM (some stale, some won
and lost with their reasons), the nightly maturity opportunities and gap suggestions, a
target list with partial feedback, products at every risk level and risk assessments, some
expired.

Written with COPY in chunks of customers (``crm.bulk``), so that a million customers take
about a minute: three opportunities for every ten customers. Runs once per database (a
claim in ``NightlyRun``); ``seed_demo --modules`` adds it to a database loaded before.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, DateField, Value, When
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils import timezone

from accounts.models import User
from crm.bulk import analyze, copy_rows, reserve_ids
from customers.demo import seed_products
from customers.models import Customer, Holding, Product
from home.registry import register_demo_seeder

from . import nightly
from .models import (
    Change,
    CrossSellSnapshot,
    LostReason,
    Opportunity,
    OpportunityLine,
    Stage,
    TargetEntry,
    TargetList,
)

CHUNK = 20_000
SHARE = 0.3  # opportunities per customer
# (stage, weight)
STAGE_WEIGHTS = [
    ("identified", 20),
    ("contacted", 18),
    ("needs_confirmed", 15),
    ("proposal", 12),
    ("negotiation", 8),
    ("won", 15),
    ("lost", 12),
]
TITLES = {
    "time_deposit": "定期存款配置",
    "large_cd": "大额存单",
    "wealth": "理财产品配置",
    "fund": "基金定投",
    "insurance": "保障规划",
    "personal_loan": "个人贷款",
    "business_loan": "流动资金贷款",
    "credit_card": "信用卡办卡",
    "payroll": "代发工资",
    "cash_management": "现金管理",
    "international": "国际结算",
}
NEXT_STEPS = ["电话沟通需求", "上门拜访", "发送产品方案", "约客户到网点面谈", "跟进审批进度"]
COMPETITORS = ["", "", "", "工商银行", "建设银行", "招商银行", "本地城商行"]
FIELDS = [
    "id",
    "customer_id",
    "type",
    "title",
    "stage_id",
    "probability",
    "amount",
    "weighted_amount",
    "expected_revenue",
    "expected_close_on",
    "next_step",
    "next_step_on",
    "source",
    "competitor",
    "mode",
    "owner_share",
    "owner_id",
    "category",
    "lost_reason_id",
    "lost_note",
    "close_pushes",
    "reached_order",
    "cycle_days",
    "created_at",
    "updated_at",
    "stage_entered_at",
    "closed_at",
]
LINE_FIELDS = ["opportunity_id", "product_id", "amount", "expected_revenue", "dual_recorded"]
CHANGE_FIELDS = ["opportunity_id", "kind", "at", "old_value", "new_value"]
DEMO_CLAIM = date(2000, 1, 1)
DEMO_SHARE = 30


def _at(day):
    return timezone.make_aware(datetime.combine(day, time(10)), timezone.get_current_timezone())


class Maker:
    """Builds the rows of one demo opportunity from a random generator."""

    def __init__(self, rng, today):
        self.rng = rng
        self.today = today
        self.stages = {s.code: s for s in Stage.objects.all()}
        self.reasons = list(LostReason.objects.filter(is_active=True))
        products = [p for p in Product.objects.filter(is_active=True) if p.category in TITLES]
        self.products = products
        self.codes = [code for code, _w in STAGE_WEIGHTS]
        self.weights = [w for _c, w in STAGE_WEIGHTS]

    def rows(self, pk, customer_id, owner_id, grade, assessed, stage_code=None):
        rng, today = self.rng, self.today
        stage = self.stages[stage_code or rng.choices(self.codes, self.weights)[0]]
        level = int(grade[1]) if grade and assessed and (today - assessed).days < 365 else 1
        suits = [p for p in self.products if int(p.risk_level[1]) <= level] or self.products
        product = rng.choice(suits if stage.checks_suitability else self.products)
        amount = Decimal(rng.randrange(1, 200) * 10000)
        revenue = (amount * Decimal("0.006")).quantize(Decimal("0.01"))
        age = rng.randrange(1, 120)
        created = _at(today - timedelta(days=age))
        # Some sit in their stage past its limit (stale); the others moved recently.
        in_stage = (
            rng.randrange(0, age + 1) if rng.random() < 0.25 else min(age, rng.randrange(0, 8))
        )
        entered = _at(today - timedelta(days=in_stage))
        closed = entered if stage.is_final else None
        reason = rng.choice(self.reasons) if stage.is_lost and self.reasons else None
        # A lost one got as far as some open stage first.
        open_orders = [s.order for s in self.stages.values() if not s.is_final]
        reached = rng.choice(open_orders) if stage.is_lost else stage.order
        row = (
            pk,
            customer_id,
            rng.choice(["acquire", "retain", "grow", "grow"]),
            TITLES[product.category],
            stage.code,
            stage.probability,
            amount,
            (amount * stage.probability / 100).quantize(Decimal("0.01")),
            revenue,
            today + timedelta(days=rng.randrange(-10, 100)),
            rng.choice(NEXT_STEPS),
            today + timedelta(days=rng.randrange(-5, 14)),
            rng.choice(["suggestion", "referral", "visit", "campaign", "own", "own"]),
            rng.choice(COMPETITORS),
            "alone",
            100,
            owner_id,
            product.category,
            reason.pk if reason else None,
            "客户资金另有安排" if reason and reason.needs_note else "",
            rng.choice([0, 0, 0, 1, 2]),
            reached,
            (entered - created).days if closed else None,
            created,
            entered,
            entered,
            closed,
        )
        line = (pk, product.pk, amount, revenue, product.needs_dual_recording and stage.is_won)
        changes = []
        if stage.order > 10:
            kind = "won" if stage.is_won else "lost" if stage.is_lost else "advanced"
            changes.append((pk, kind, entered, "identified", stage.code))
        if row[20]:
            changes.append((pk, "close_pushed", entered, "", str(row[9])))
        return row, line, changes


def _assessments(today) -> int:
    """Risk assessments for graded customers that have none: one UPDATE. A customer's date
    follows its id; ids ending in 0–2 were assessed more than a year ago (expired)."""
    dates = {k: today - timedelta(days=400 + 30 * k) for k in range(3)}
    dates.update({k: today - timedelta(days=30 * k) for k in range(3, 10)})
    return (
        Customer.objects.filter(risk_assessed_on__isnull=True)
        .exclude(risk_grade="")
        .update(
            risk_assessed_on=Case(
                *(When(Exact(Mod("id", 10), k), then=Value(d)) for k, d in dates.items()),
                output_field=DateField(),
            )
        )
    )


@register_demo_seeder(key="opportunities", order=60)
def seed(*, seed, customers, stdout):
    today = timezone.localdate()
    if not Stage.objects.exists() or not nightly.claim_run("demo", DEMO_CLAIM):
        return {}
    seed_products()
    counts = {"risk assessments": _assessments(today)}
    rng = random.Random(seed * 13 + 5)
    maker = Maker(rng, today)
    if not maker.products:
        return counts
    made = 0
    last = 0
    seen = {}  # owner -> set of stages
    while True:
        chunk = list(
            Customer.objects.filter(pk__gt=last, archived_at__isnull=True, primary_rm__isnull=False)
            .order_by("pk")
            .values_list("pk", "primary_rm_id", "risk_grade", "risk_assessed_on")[:CHUNK]
        )
        if not chunk:
            break
        last = chunk[-1][0]
        picked = [c for c in chunk if rng.random() < SHARE]
        made += _write(maker, picked, seen)
        if stdout is not None and made and last % (CHUNK * 10) < CHUNK:
            stdout.write(f"  {made:,} opportunities")
    # Every stage for every RM: the missing ones on one of their customers.
    missing = []
    for rm in User.objects.filter(role=User.Role.RM, is_active=True):
        lacking = [c for c in maker.codes if c not in seen.get(rm.pk, set())]
        customer = (
            Customer.objects.filter(primary_rm=rm, archived_at__isnull=True)
            .values_list("pk", "primary_rm_id", "risk_grade", "risk_assessed_on")
            .first()
        )
        if customer:
            missing.extend((customer, code) for code in lacking)
    made += _write(maker, [c for c, _s in missing], seen, stages=[s for _c, s in missing])
    counts["opportunities"] = made
    counts["maturity opportunities"] = nightly.create_maturity_opportunities(today)
    # The demo holdings are spread evenly (about a third of customers hold each category):
    # suggested at 30 %, so that the pages have suggestions to show.
    counts["suggestions"] = nightly.compute_suggestions(today, force=True, share=DEMO_SHARE) or 0
    _earlier_snapshots(today)
    counts["pipeline figures"] = nightly.snapshot_pipeline(today, force=True) or 0
    counts["target list names"] = _target_list(today)
    analyze()
    return counts


def _write(maker, customers, seen, stages=None) -> int:
    if not customers:
        return 0
    ids = reserve_ids(Opportunity, len(customers))
    rows, lines, changes = [], [], []
    for i, (pk, (customer_id, owner_id, grade, assessed)) in enumerate(
        zip(ids, customers, strict=True)
    ):
        row, line, events = maker.rows(
            pk, customer_id, owner_id, grade, assessed, stages[i] if stages else None
        )
        seen.setdefault(owner_id, set()).add(row[4])
        rows.append(row)
        lines.append(line)
        changes.extend(events)
    with transaction.atomic():
        copy_rows(Opportunity, FIELDS, rows)
        copy_rows(OpportunityLine, LINE_FIELDS, lines)
        copy_rows(Change, CHANGE_FIELDS, changes)
    return len(rows)


def _earlier_snapshots(today):
    """A cross-sell snapshot four weeks back, a little lower, so the review shows a change."""
    day = today - timedelta(days=28)
    CrossSellSnapshot.objects.bulk_create(
        [
            CrossSellSnapshot(
                rm_id=s.rm_id,
                day=day,
                customers=s.customers,
                products=max(0, s.products - s.customers // 20),
            )
            for s in CrossSellSnapshot.objects.filter(day=today)
        ],
        ignore_conflicts=True,
    )


def _target_list(today) -> int:
    """无贷户营销: up to 300 corporate customers without a loan in head1's branch (or the
    first head's), a third of them answered."""
    head = (
        User.objects.filter(username="head1").first()
        or User.objects.filter(role=User.Role.HEAD, is_active=True).order_by("pk").first()
    )
    if head is None:
        return 0
    target, created = TargetList.objects.get_or_create(
        theme="无贷户营销",
        defaults={
            "deadline": today + timedelta(days=10),
            "description": "对公客户中无贷款者",
            "created_by": head,
        },
    )
    if not created:
        return 0
    loans = Holding.objects.filter(
        status=Holding.Status.ACTIVE, product__category="business_loan"
    ).values("customer_id")
    picked = list(
        Customer.objects.visible_to(head)
        .filter(kind=Customer.Kind.CORPORATE, primary_rm__isnull=False)
        .exclude(pk__in=loans)
        .order_by("pk")
        .values_list("pk", "primary_rm_id", "branch_id")[:300]
    )
    answers = ["contacted", "not_interested", "unreachable", "", "", "", "", "", ""]
    now = timezone.now()
    TargetEntry.objects.bulk_create(
        TargetEntry(
            target_list=target,
            customer_id=pk,
            rm_id=rm_id,
            branch_id=branch_id,
            feedback=answers[i % len(answers)],
            note="暂无资金需求" if answers[i % len(answers)] == "not_interested" else "",
            answered_at=now if answers[i % len(answers)] else None,
        )
        for i, (pk, rm_id, branch_id) in enumerate(picked)
    )
    return len(picked)

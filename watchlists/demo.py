"""Demo risk warnings: about 3 % of the customers on watch across kinds, levels and states, a
risk manager for each city branch of the demo, post-loan checks for every loan (some
overdue), a guarantee circle of three companies in rm1's book with a severe warning that
spreads round it, and risk data for a few borrowers.

Idempotent: it writes only what is missing (no item is added once any exists, checks are
scheduled with conflict-ignore, the circle is found again by its relations). Set-based, so
that it runs in about a minute at a million customers: the customers on watch are the ids
that divide by 33 (no Python loop over every customer), written with bulk inserts.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Branch, User
from crm.bulk import analyze
from customers.models import Customer, Holding, Product, Relation
from home.registry import register_demo_seeder

from . import checks, services
from .models import (
    LOAN_CATEGORIES,
    LedgerEntry,
    Level,
    LoanCheck,
    Measure,
    RiskSignal,
    Signal,
    WatchItem,
)

EVERY = 33  # one customer in 33 on watch: about 3 %
BATCH = 5000
RISK_MANAGERS = [("risk1", "周", "敏", "BJ", "K1001"), ("risk2", "吴", "刚", "SH", "K2001")]

KINDS = [
    (WatchItem.Kind.CREDIT, [Signal.OVERDUE_INTEREST, Signal.FINANCIAL_POSITION]),
    (WatchItem.Kind.ATTRITION, [Signal.LARGE_FLOW, Signal.FUND_MOVEMENT]),
    (WatchItem.Kind.CREDIT, [Signal.PRODUCTION_CHANGE]),
    (WatchItem.Kind.ATTRITION, [Signal.ASSETS_DOWN]),
    (WatchItem.Kind.COMPLIANCE, [Signal.ACCOUNT_STATUS]),
    (WatchItem.Kind.OTHER, [Signal.MANAGEMENT_CHANGE]),
]
DESCRIPTIONS = {
    WatchItem.Kind.CREDIT: "企业回款变慢，本月利息延迟三天支付。",
    WatchItem.Kind.ATTRITION: "近期有大额资金转往他行，客户称对服务不满意。",
    WatchItem.Kind.COMPLIANCE: "账户被司法冻结，需核实原因。",
    WatchItem.Kind.OTHER: "企业实际控制人变更，需了解新股东背景。",
}
CIRCLE_NOTE = "互保"


def _risk_managers(stdout=None) -> int:
    """One risk manager in each demo city branch, with the demo password."""
    template = User.objects.filter(username="head1").first()
    if template is None:
        return 0
    made = 0
    for username, last, first, code, employee_no in RISK_MANAGERS:
        branch = Branch.objects.filter(code=code).first()
        if branch is None or User.objects.filter(username=username).exists():
            continue
        User.objects.create(
            username=username,
            last_name=last,
            first_name=first,
            role=User.Role.RISK,
            branch=branch,
            employee_no=employee_no,
            email=f"{username}@example.com",
            password=template.password,
        )
        made += 1
    return made


def _items(today) -> int:
    """Watch items on the customers whose id divides by 33, spread over kinds, levels,
    states and review dates (some overdue), each with a measure and a ledger line."""
    if WatchItem.objects.exists():
        return 0
    now = timezone.now()
    rows = (
        Customer.objects.filter(archived_at__isnull=True)
        .annotate(bucket=F("id") % EVERY)
        .filter(bucket=0)
        .values_list("id", "primary_rm_id")
        .order_by("id")
    )
    made = 0
    batch = []

    def flush():
        nonlocal made
        WatchItem.objects.bulk_create(batch, batch_size=BATCH)
        made += len(batch)
        batch.clear()

    for customer_id, rm_id in rows.iterator(chunk_size=BATCH):
        n = customer_id // EVERY
        kind, signals = KINDS[n % len(KINDS)]
        level = (Level.ATTENTION, Level.ATTENTION, Level.WARNING, Level.SEVERE)[n % 4]
        state = (
            WatchItem.State.IN_HAND
            if n % 5 == 1
            else WatchItem.State.RESOLVED
            if n % 11 == 3
            else WatchItem.State.OPEN
        )
        review_on = today + timedelta(days=(n % 40) - 8)  # one in five already overdue
        batch.append(
            WatchItem(
                customer_id=customer_id,
                kind=kind,
                level=level,
                source=(WatchItem.Source.VISIT, WatchItem.Source.RULE, WatchItem.Source.CHECK)[
                    n % 3
                ],
                signals=",".join(["", *sorted(signals), ""]),
                description=DESCRIPTIONS[kind],
                owner_id=rm_id,
                review_on=review_on,
                state=state,
                opened_at=now - timedelta(days=n % 60),
                closed_at=now if state == WatchItem.State.RESOLVED else None,
                outcome="客户已补足还款，风险解除。" if state == WatchItem.State.RESOLVED else "",
                next_escalation_on=None
                if state == WatchItem.State.RESOLVED
                else review_on + timedelta(days={3: 1, 2: 3, 1: 7}[level]),
            )
        )
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    seeded = WatchItem.objects.all()
    services.fill_exposure(seeded)
    # One measure per item (the RM's call, due around the review date) and its ledger line.
    measures, ledger = [], []
    for pk, customer_id, owner_id, review_on, level, signals, opened_at in seeded.values_list(
        "id", "customer_id", "owner_id", "review_on", "level", "signals", "opened_at"
    ).iterator(chunk_size=BATCH):
        measures.append(
            Measure(item_id=pk, kind=Measure.Kind.CALL, owner_id=owner_id, due_on=review_on)
        )
        ledger.append(
            LedgerEntry(
                customer_id=customer_id,
                item_id=pk,
                kind=LedgerEntry.Kind.OPENED,
                on=opened_at.date(),
                level=level,
                signals=signals,
            )
        )
        if len(measures) >= BATCH:
            Measure.objects.bulk_create(measures)
            LedgerEntry.objects.bulk_create(ledger)
            measures, ledger = [], []
    Measure.objects.bulk_create(measures)
    LedgerEntry.objects.bulk_create(ledger)
    return made


def _checks(today) -> int:
    """A first check done for nine loans in ten (so the next routine one is scheduled from
    it), none for the tenth (its first check is overdue), then the schedule."""
    if LoanCheck.objects.exists():
        return 0
    done = []
    loans = Holding.objects.filter(
        status=Holding.Status.ACTIVE,
        product__category__in=LOAN_CATEGORIES,
        customer__archived_at__isnull=True,
    ).values_list("id", "customer_id", "opened_on")
    for pk, customer_id, opened_on in loans.iterator(chunk_size=BATCH):
        if pk % 10 == 0:
            continue
        done.append(
            LoanCheck(
                customer_id=customer_id,
                holding_id=pk,
                kind=LoanCheck.Kind.FIRST,
                due_on=(opened_on or today) + timedelta(days=30),
                done_on=today - timedelta(days=pk % 95),
                result=LoanCheck.Result.NORMAL,
            )
        )
        if len(done) >= BATCH:
            LoanCheck.objects.bulk_create(done)
            done = []
    LoanCheck.objects.bulk_create(done)
    return checks.schedule(today) + LoanCheck.objects.filter(done_on__isnull=False).count()


def _risk_data(today) -> int:
    """Yesterday's risk data for about one borrower in a hundred (overdue days, a few
    classified 关注 or 次级, one in eight with a better classification a month before), for
    the nightly rules to turn into items."""
    if RiskSignal.objects.count() > 1:
        return 0
    rows = []
    borrowers = (
        Holding.objects.filter(status=Holding.Status.ACTIVE, product__category__in=LOAN_CATEGORIES)
        .annotate(bucket=F("customer_id") % 97)
        .filter(bucket=0)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id in borrowers.iterator(chunk_size=BATCH):
        n = customer_id // 97
        days = (0, 3, 12, 35, 95, 0, 1, 60)[n % 8]
        grade = 3 if days >= 90 else 2 if days >= 30 else 1
        rows.append(
            RiskSignal(
                customer_id=customer_id,
                as_of=today - timedelta(days=1),
                overdue_days=days,
                overdue_interest=Decimal(days * 120),
                overdue_principal=Decimal(50000 if days >= 60 else 0),
                classification=grade,
                account_status="frozen" if n % 23 == 0 else "normal",
            )
        )
        if n % 8 == 3:
            rows.append(
                RiskSignal(
                    customer_id=customer_id, as_of=today - timedelta(days=31), classification=1
                )
            )
    RiskSignal.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return len(rows)


def _circle(today) -> int:
    """Three companies of rm1 that guarantee each other's loans (A → B → C → A), each with
    a working-capital loan, and a severe warning on the first that spreads to the others."""
    rm1 = User.objects.filter(username="rm1").first()
    loan = Product.objects.filter(category="business_loan").order_by("code").first()
    if rm1 is None or loan is None:
        return 0
    companies = list(
        Customer.objects.filter(
            primary_rm=rm1, kind=Customer.Kind.CORPORATE, archived_at__isnull=True
        ).order_by("id")[:3]
    )
    if len(companies) < 3 or Relation.objects.filter(note=CIRCLE_NOTE).exists():
        return 0
    with transaction.atomic():
        for n, company in enumerate(companies):
            guaranteed = companies[(n + 1) % 3]
            Relation.objects.get_or_create(
                from_customer=company,
                to_customer=guaranteed,
                kind=Relation.Kind.GUARANTOR,
                defaults={"note": CIRCLE_NOTE},
            )
            Holding.objects.get_or_create(
                product=loan,
                account_no=f"{company.customer_no}GC",
                defaults={
                    "customer": company,
                    "amount": Decimal(3000000 + n * 1500000),
                    "opened_on": today - timedelta(days=200),
                    "matures_on": today + timedelta(days=165),
                },
            )
        RiskSignal.objects.get_or_create(
            customer=companies[0],
            as_of=today,
            defaults={
                "overdue_days": 45,
                "overdue_interest": Decimal("86000"),
                "classification": 2,
                "event": "担保圈内企业资金链紧张",
            },
        )
        WatchItem.objects.filter(customer__in=companies).delete()
        services.open_item(
            actor=None,
            customer=companies[0],
            kind=WatchItem.Kind.CREDIT,
            level=Level.SEVERE,
            source=WatchItem.Source.IMPORT,
            signals=[Signal.OVERDUE_INTEREST, Signal.FINANCIAL_POSITION],
            description="贷款逾期 45 天，担保圈内另两家企业互相担保。",
        )
    return 3


def write_risk_file(today) -> Path | None:
    """``var/demo/risk-signals.csv``: a day of risk data for twenty borrowers, in the import's
    format (GB18030, as Excel writes it in China), for an admin to try
    ``import_risk_signals var/demo/risk-signals.csv --evaluate``."""
    borrowers = list(
        Holding.objects.filter(status=Holding.Status.ACTIVE, product__category__in=LOAN_CATEGORIES)
        .order_by("customer_id")
        .values_list("customer__customer_no", flat=True)
        .distinct()[:20]
    )
    if not borrowers:
        return None
    rows = []
    for n, number in enumerate(borrowers):
        days = (0, 0, 5, 35, 95, 0, 12, 0)[n % 8]
        rows.append(
            [
                number,
                today.isoformat(),
                days,
                "20000" if days >= 30 else "",
                "1800" if days else "",
                ("正常", "正常", "关注", "关注", "次级", "正常", "关注", "正常")[n % 8],
                ("AA", "A+", "A", "BBB", "BB", "AA", "A-", "AA-")[n % 8],
                "冻结" if n % 8 == 5 else "正常",
                "司法冻结" if n % 8 == 5 else "",
            ]
        )
    from .imports import RISK_COLUMNS

    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "risk-signals.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.headers[0] for c in RISK_COLUMNS])
    writer.writerows(rows)
    target.write_bytes(out.getvalue().encode("gb18030"))
    return target


@register_demo_seeder(key="watchlists", order=50)
def seed(*, seed, customers, stdout):
    today = timezone.localdate()
    made = {
        "risk managers": _risk_managers(stdout),
        "watch items": _items(today),
        "loan checks": _checks(today),
        "guarantee circle": _circle(today),
        "risk data": _risk_data(today),
    }
    from . import board

    board.refresh()
    path = write_risk_file(today)
    if path is not None and stdout is not None:
        stdout.write(f"risk data to import: {path}")
    analyze()
    return {label: n for label, n in made.items() if n}

"""Demo customer archive: Chinese names, companies and addresses, with holdings, twelve
months of balances, relations, and birthdays and maturities in the coming weeks.

Bulk inserts only (no per-row save), so ``seed_demo --customers 1000000`` stays fast.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import User

from .models import (
    Assignment,
    Customer,
    CustomerAssistant,
    Holding,
    KeyContact,
    MonthlyBalance,
    Product,
    Relation,
)
from .tiers import add_months, previous_month, recompute_tiers
from .validators import resident_id_check_char, uscc_check_char

BATCH = 5000
CUSTOMER_PREFIX = "C"

# (code, name, category, risk level, matures, minimum star level for holders)
PRODUCTS = [
    ("DD-CNY", "活期储蓄", "demand_deposit", "R1", False, 0),
    ("TD-1Y", "一年期整存整取", "time_deposit", "R1", True, 0),
    ("TD-3Y", "三年期整存整取", "time_deposit", "R1", True, 0),
    ("CD-3Y", "大额存单三年期", "large_cd", "R1", True, 0),
    ("WM-90", "稳享理财90天", "wealth", "R2", True, 0),
    ("WM-365", "安盈理财一年期", "wealth", "R3", True, 0),
    ("FD-BAL", "平衡混合基金", "fund", "R3", False, 0),
    ("FD-EQ", "成长股票基金", "fund", "R4", False, 0),
    ("INS-LIFE", "终身寿险", "insurance", "R2", False, 0),
    ("BOND-GOV", "储蓄国债", "bond", "R1", True, 0),
    ("PL-MORT", "个人住房贷款", "personal_loan", "R2", True, 0),
    ("BL-WC", "流动资金贷款", "business_loan", "R3", True, 0),
    ("CC-GOLD", "金卡信用卡", "credit_card", "R1", False, 5),
    ("CC-PLAT", "白金信用卡", "credit_card", "R1", False, 6),
    ("PAY-AG", "代发工资", "payroll", "R1", False, 0),
    ("CM-STD", "现金管理", "cash_management", "R1", False, 0),
    ("IS-LC", "国际信用证", "international", "R2", True, 0),
    ("TP-CUST", "第三方存管", "custody", "R1", False, 0),
]
PERSONAL_PRODUCTS = [
    "DD-CNY",
    "TD-1Y",
    "TD-3Y",
    "CD-3Y",
    "WM-90",
    "WM-365",
    "FD-BAL",
    "FD-EQ",
    "INS-LIFE",
    "BOND-GOV",
    "PL-MORT",
    "CC-GOLD",
    "CC-PLAT",
    "TP-CUST",
]
CORPORATE_PRODUCTS = ["DD-CNY", "TD-1Y", "CD-3Y", "WM-90", "BL-WC", "PAY-AG", "CM-STD", "IS-LC"]
INDUSTRIES = [
    "制造业",
    "批发和零售业",
    "建筑业",
    "信息技术服务",
    "交通运输",
    "房地产业",
    "医药",
    "餐饮住宿",
    "教育",
    "农业",
]
OCCUPATIONS = [
    "企业主",
    "医生",
    "教师",
    "工程师",
    "公务员",
    "律师",
    "会计",
    "销售经理",
    "自由职业",
    "退休",
]
SOURCES = ["网点到访", "代发工资", "转介绍", "营销活动", "电话营销", "对公联动"]
INTERESTS = ["高尔夫", "书法", "旅游", "摄影", "茶道", "马拉松", "钓鱼", "收藏", "亲子教育", "养生"]
REGIONS = ["110101", "110105", "110108", "310101", "310115", "440305", "330106", "510107"]


def seed_products() -> dict[str, Product]:
    for code, name, category, risk, matures, min_star in PRODUCTS:
        Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "risk_level": risk,
                "matures": matures,
                "min_star_level": min_star,
            },
        )
    return {p.code: p for p in Product.objects.all()}


def _resident_id(rng, birth: date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def _uscc(rng) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91" + rng.choice(REGIONS) + "".join(rng.choice(alphabet) for _ in range(9))
    return first17 + uscc_check_char(first17)


def _assets_profile(rng) -> Decimal:
    """A monthly average around which a customer's assets move: most small, a few very large."""
    roll = rng.random()
    if roll < 0.55:
        return Decimal(rng.randrange(5_000, 200_000))
    if roll < 0.85:
        return Decimal(rng.randrange(200_000, 1_000_000))
    if roll < 0.98:
        return Decimal(rng.randrange(1_000_000, 6_000_000))
    return Decimal(rng.randrange(6_000_000, 30_000_000))


def seed_customers(*, count: int, seed: int = 1, months: int = 12, stdout=None) -> int:
    """Create ``count`` demo customers (skipped if the demo archive is already there)."""
    if Customer.objects.filter(customer_no__startswith=CUSTOMER_PREFIX).exists():
        return 0
    rms = list(User.objects.filter(role=User.Role.RM, is_active=True).order_by("username"))
    if not rms:
        return 0
    products = seed_products()
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    today = timezone.localdate()
    last_month = previous_month(today)
    # The named demo RMs get bigger books than the generated ones.
    weights = [6 if rm.username in {"rm1", "rm2", "rm3"} else 1 for rm in rms]

    created = 0
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        with transaction.atomic():
            _seed_batch(start, size, rng, fake, rms, weights, products, today, last_month, months)
        created += size
        if stdout is not None and count > BATCH:
            stdout.write(f"  {created:,} / {count:,}")
    recompute_tiers(month=last_month)
    return created


def _seed_batch(start, size, rng, fake, rms, weights, products, today, last_month, months):
    now = timezone.now()
    customers = []
    for i in range(start, start + size):
        rm = rng.choices(rms, weights)[0]
        corporate = rng.random() < 0.12
        if corporate:
            customer = Customer(
                customer_no=f"{CUSTOMER_PREFIX}{i + 1:010d}",
                kind=Customer.Kind.CORPORATE,
                name=fake.company(),
                id_type=Customer.IdType.USCC,
                id_number=_uscc(rng),
                industry=rng.choice(INDUSTRIES),
                company_size=rng.choice(["micro", "small", "medium", "large"]),
                legal_representative=fake.name(),
                mobile=fake.phone_number(),
                address=fake.address()[:200],
            )
        else:
            male = rng.random() < 0.5
            if i % 40 == 0:  # a birthday in the coming three weeks
                birth = date(rng.randrange(1950, 2000), 1, 1)
                upcoming = today + timedelta(days=rng.randrange(0, 21))
                birth = birth.replace(month=upcoming.month, day=min(upcoming.day, 28))
            else:
                birth = date(rng.randrange(1950, 2003), rng.randrange(1, 13), rng.randrange(1, 29))
            customer = Customer(
                customer_no=f"{CUSTOMER_PREFIX}{i + 1:010d}",
                kind=Customer.Kind.INDIVIDUAL,
                name=fake.name_male() if male else fake.name_female(),
                gender="M" if male else "F",
                birth_date=birth,
                lunar_birthday=rng.random() < 0.08,
                id_type=Customer.IdType.RESIDENT_ID,
                id_number=_resident_id(rng, birth, male),
                mobile=fake.phone_number(),
                email=fake.email() if rng.random() < 0.4 else "",
                address=fake.address()[:200],
                employer=fake.company() if rng.random() < 0.6 else "",
                occupation=rng.choice(OCCUPATIONS),
                education=rng.choice(["", "college", "bachelor", "master"]),
                risk_grade=rng.choice(["C1", "C2", "C3", "C3", "C4", "C5"]),
                interests="、".join(rng.sample(INTERESTS, 2)),
            )
        customer.primary_rm = rm
        customer.branch_id = rm.branch_id
        customer.lifecycle_stage = rng.choice(
            ["prospect", "new", "active", "active", "active", "dormant", "lost"]
        )
        customer.source = rng.choice(SOURCES)
        customer.created_at = now
        customer.derive_fields()
        customers.append(customer)
    Customer.objects.bulk_create(customers, batch_size=BATCH)
    # bulk_create returns ids on PostgreSQL and SQLite.

    holdings, balances, assignments, contacts, assistants, relations = [], [], [], [], [], []
    for index, customer in enumerate(customers):
        assignments.append(
            Assignment(
                customer=customer,
                rm=customer.primary_rm,
                role="primary",
                started_at=now,
                reason="开户",
            )
        )
        base = _assets_profile(rng)
        level = base
        for n in range(months - 1, -1, -1):
            level = max(Decimal("0"), level * Decimal(str(round(rng.uniform(0.93, 1.08), 3))))
            balances.append(
                MonthlyBalance(
                    customer=customer,
                    month=add_months(last_month, -n),
                    avg_financial_assets=level.quantize(Decimal("0.01")),
                    avg_deposits=(level * Decimal("0.6")).quantize(Decimal("0.01")),
                    avg_loans=Decimal(rng.choice([0, 0, 0, 300000, 800000])),
                    star_points=(
                        level / Decimal(8000) * Decimal(str(round(rng.uniform(0.2, 1.5), 2)))
                    ).quantize(Decimal("0.01")),
                )
            )
        choices = CORPORATE_PRODUCTS if customer.is_corporate else PERSONAL_PRODUCTS
        for n, code in enumerate(rng.sample(choices, rng.randrange(1, 5))):
            product = products[code]
            opened = today - timedelta(days=rng.randrange(30, 1500))
            matures = None
            if product.matures:
                # One maturity in twenty falls in the coming month, for the reminders.
                ahead = rng.randrange(1, 31) if rng.random() < 0.05 else rng.randrange(31, 900)
                matures = today + timedelta(days=ahead)
            holdings.append(
                Holding(
                    customer=customer,
                    product=product,
                    account_no=f"{customer.customer_no}{n:02d}",
                    amount=(base * Decimal(str(round(rng.uniform(0.05, 0.5), 2)))).quantize(
                        Decimal("0.01")
                    ),
                    opened_on=opened,
                    matures_on=matures,
                )
            )
        if customer.is_corporate:
            for _ in range(rng.randrange(1, 3)):
                contacts.append(
                    KeyContact(
                        customer=customer,
                        name=fake.name(),
                        title=rng.choice(["财务总监", "总经理", "出纳", "董事长"]),
                        phone=fake.phone_number(),
                        birthday=date(
                            rng.randrange(1960, 1995), rng.randrange(1, 13), rng.randrange(1, 29)
                        ),
                    )
                )
        if index and rng.random() < 0.15:
            other = customers[index - 1]
            kind = "spouse" if not customer.is_corporate and not other.is_corporate else "supplier"
            relations.append(Relation(from_customer=customer, to_customer=other, kind=kind))
        if rng.random() < 0.05:
            helper = rng.choice(rms)
            if helper.pk != customer.primary_rm_id:
                assistants.append(CustomerAssistant(customer=customer, rm=helper))
                assignments.append(
                    Assignment(
                        customer=customer,
                        rm=helper,
                        role="assisting",
                        started_at=now,
                        reason="协办",
                    )
                )
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    MonthlyBalance.objects.bulk_create(balances, batch_size=BATCH)
    Holding.objects.bulk_create(holdings, batch_size=BATCH)
    KeyContact.objects.bulk_create(contacts, batch_size=BATCH)
    Relation.objects.bulk_create(relations, batch_size=BATCH)
    CustomerAssistant.objects.bulk_create(assistants, batch_size=BATCH)

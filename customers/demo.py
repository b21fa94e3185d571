"""Demo customer archive: Chinese names, companies and addresses, with holdings, twelve
months of balances, relations, and birthdays and maturities in the coming weeks.

Bulk inserts only (COPY on PostgreSQL, no per-row save), so ``seed_demo --customers 1000000``
stays fast.
"""

import random
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from faker import Faker
from faker.providers.person.zh_CN import Provider as PersonProvider
from faker.providers.phone_number.zh_CN import Provider as PhoneProvider

from accounts.demo import is_scaled
from accounts.models import User
from crm.bulk import analyze, copy_rows, instance_rows, reserve_ids

from .models import (
    Assignment,
    Customer,
    CustomerAssistant,
    Holding,
    KeyContact,
    MonthlyBalance,
    Product,
    Relation,
    TierChange,
)
from .tiers import Rules, add_months, apply_rules, previous_month
from .validators import resident_id_check_char, uscc_check_char

BATCH = 5000
CUSTOMER_PREFIX = "C"
CENT = Decimal("0.01")
EMAIL_DOMAINS = ["163.com", "qq.com", "126.com", "sina.com", "foxmail.com"]

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
    ("FD-QDII", "全球科技股票QDII基金", "fund", "R5", False, 0),
    ("WM-STR", "结构性理财挂钩股指", "wealth", "R4", True, 0),
]
# Sales of these are recorded on audio and video (双录).
DUAL_RECORDING = {"FD-EQ", "FD-QDII", "WM-STR", "INS-LIFE"}
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


class Pools:
    """Faker's Chinese vocabularies, drawn once: picking from lists is fifty times faster than
    asking Faker per row, which matters at a million customers."""

    def __init__(self, fake, rng):
        self.rng = rng
        self.surnames = list(PersonProvider.last_names)
        self.surname_weights = list(accumulate(PersonProvider.last_names.values()))
        self.male = PersonProvider.first_names_male
        self.female = PersonProvider.first_names_female
        self.addresses = [fake.address()[:200] for _ in range(3000)]
        self.companies = [fake.company() for _ in range(3000)]
        self.mobile_prefixes = [str(p) for p in PhoneProvider.phonenumber_prefixes]

    def person(self, male: bool) -> str:
        surname = self.rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        return surname + self.rng.choice(self.male if male else self.female)

    def mobile(self) -> str:
        return f"{self.rng.choice(self.mobile_prefixes)}{self.rng.randrange(10**8):08d}"

    def address(self) -> str:
        return self.rng.choice(self.addresses)

    def company(self) -> str:
        return self.rng.choice(self.companies)


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
                "needs_dual_recording": code in DUAL_RECORDING,
            },
        )
    return {p.code: p for p in Product.objects.all()}


def _resident_id(rng, birth: date, male: bool, used: set) -> str:
    """A valid ID number for the birth date, never one already handed out in this run."""
    region = rng.choice(REGIONS)
    seq = rng.randrange(0, 500)
    while True:
        first17 = f"{region}{birth:%Y%m%d}{seq * 2 + (1 if male else 0):03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + resident_id_check_char(first17)
        seq = (seq + 1) % 500
        if seq == 0:
            region = rng.choice(REGIONS)


def _uscc(rng, used: set) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    while True:
        first17 = "91" + rng.choice(REGIONS) + "".join(rng.choice(alphabet) for _ in range(9))
        if first17 not in used:
            used.add(first17)
            return first17 + uscc_check_char(first17)


LOANS = ["0.00", "0.00", "0.00", "300000.00", "800000.00"]


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


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
    pools = Pools(fake, rng)
    today = timezone.localdate()
    last_month = previous_month(today)
    # In the small demo the named RMs get bigger books than the generated ones; at scale every
    # book is about the same size (a few thousand customers).
    bigger = set() if is_scaled(count) else {"rm1", "rm2", "rm3"}
    weights = [6 if rm.username in bigger else 1 for rm in rms]

    ctx = SimpleNamespace(
        rng=rng,
        pools=pools,
        rms=rms,
        weights=weights,
        products=products,
        today=today,
        last_month=last_month,
        months=months,
        used_ids=set(),
        rules=Rules.load(),
    )
    created = 0
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        with transaction.atomic():
            _seed_batch(ctx, start, size)
        created += size
        if stdout is not None and count > BATCH:
            stdout.write(f"  {created:,} / {count:,}")
    analyze()
    return created


# Every column, in the model's order; the seed fills each one itself.
CUSTOMER_FIELDS = [f.name for f in Customer._meta.concrete_fields]


def _seed_batch(ctx, start, size):
    rng, pools, rms, products, today = ctx.rng, ctx.pools, ctx.rms, ctx.products, ctx.today
    last_month, rules, used_ids = ctx.last_month, ctx.rules, ctx.used_ids
    now = timezone.now()
    ids = reserve_ids(Customer, size)
    customers = []
    for i, pk in zip(range(start, start + size), ids, strict=True):
        rm = rng.choices(rms, ctx.weights)[0]
        corporate = rng.random() < 0.12
        if corporate:
            customer = Customer(
                customer_no=f"{CUSTOMER_PREFIX}{i + 1:010d}",
                kind=Customer.Kind.CORPORATE,
                name=pools.company(),
                id_type=Customer.IdType.USCC,
                id_number=_uscc(rng, used_ids),
                industry=rng.choice(INDUSTRIES),
                company_size=rng.choice(["micro", "small", "medium", "large"]),
                legal_representative=pools.person(rng.random() < 0.7),
                mobile=pools.mobile(),
                address=pools.address(),
            )
        else:
            male = rng.random() < 0.5
            if i % 40 == 0:  # a birthday in the coming three weeks
                upcoming = today + timedelta(days=rng.randrange(0, 21))
                birth = date(rng.randrange(1950, 2000), upcoming.month, min(upcoming.day, 28))
            else:
                birth = date(rng.randrange(1950, 2003), rng.randrange(1, 13), rng.randrange(1, 29))
            customer = Customer(
                customer_no=f"{CUSTOMER_PREFIX}{i + 1:010d}",
                kind=Customer.Kind.INDIVIDUAL,
                name=pools.person(male),
                gender="M" if male else "F",
                birth_date=birth,
                lunar_birthday=rng.random() < 0.08,
                id_type=Customer.IdType.RESIDENT_ID,
                id_number=_resident_id(rng, birth, male, used_ids),
                mobile=pools.mobile(),
                address=pools.address(),
                employer=pools.company() if rng.random() < 0.6 else "",
                occupation=rng.choice(OCCUPATIONS),
                education=rng.choice(["", "college", "bachelor", "master"]),
                risk_grade=rng.choice(["C1", "C2", "C3", "C3", "C4", "C5"]),
                interests="、".join(rng.sample(INTERESTS, 2)),
            )
        customer.pk = pk
        customer.primary_rm = rm
        customer.branch_id = rm.branch_id
        customer.lifecycle_stage = rng.choice(
            ["prospect", "new", "active", "active", "active", "dormant", "lost"]
        )
        customer.source = rng.choice(SOURCES)
        customer.created_at = customer.updated_at = now
        customer.derive_fields()
        if not corporate and rng.random() < 0.4:
            customer.email = (
                f"{customer.name_pinyin}{rng.randrange(1, 9999)}@{rng.choice(EMAIL_DOMAINS)}"
            )
        customers.append(customer)
    holdings, balances, assignments, contacts, assistants, relations = [], [], [], [], [], []
    tier_changes = []
    effective_on = add_months(last_month, 1)
    for index, customer in enumerate(customers):
        assignments.append((customer.pk, customer.primary_rm_id, "primary", now, "开户"))
        base = _assets_profile(rng)
        level = int(base) * 100  # in fen, integers: a million customers' twelve months add up
        monthly = []  # (assets, star points) in fen, oldest first
        for n in range(ctx.months - 1, -1, -1):
            level = int(level * rng.uniform(0.93, 1.08))
            points = int(level / 8000 * rng.uniform(0.2, 1.5))
            monthly.append((level, points))
            balances.append(
                (
                    customer.pk,
                    add_months(last_month, -n),
                    _yuan(level),
                    _yuan(level * 6 // 10),
                    rng.choice(LOANS),
                    _yuan(points),
                )
            )
        card_level = 0
        choices = CORPORATE_PRODUCTS if customer.is_corporate else PERSONAL_PRODUCTS
        for n, code in enumerate(rng.sample(choices, rng.randrange(1, 5))):
            product = products[code]
            opened = today - timedelta(days=rng.randrange(30, 1500))
            matures = None
            if product.matures:
                # One maturity in twenty falls in the coming month, for the reminders.
                ahead = rng.randrange(1, 31) if rng.random() < 0.05 else rng.randrange(31, 900)
                matures = today + timedelta(days=ahead)
            amount = _yuan(int(int(base) * 100 * rng.uniform(0.05, 0.5)))
            card_level = max(card_level, product.min_star_level)
            holdings.append(
                (
                    customer.pk,
                    product.pk,
                    f"{customer.customer_no}{n:02d}",
                    amount,
                    "CNY",
                    opened,
                    matures,
                    "active",
                )
            )
        # The same rules as the monthly job, applied in memory: the customer is written once.
        changes = apply_rules(
            customer,
            month=last_month,
            rules=rules,
            assets=Decimal(_yuan(monthly[-1][0])),
            points=Decimal(_yuan(sum(p for _a, p in monthly[-rules.star_window :]))),
            card_level=card_level,
            window={},
        )
        for kind, old, new, reason in changes or []:
            tier_changes.append((customer.pk, kind, old, new, effective_on, reason, now))
        if customer.is_corporate:
            for _ in range(rng.randrange(1, 3)):
                contacts.append(
                    (
                        customer.pk,
                        pools.person(rng.random() < 0.5),
                        rng.choice(["财务总监", "总经理", "出纳", "董事长"]),
                        pools.mobile(),
                        date(rng.randrange(1960, 1995), rng.randrange(1, 13), rng.randrange(1, 29)),
                    )
                )
        if index and rng.random() < 0.15:
            other = customers[index - 1]
            kind = "spouse" if not customer.is_corporate and not other.is_corporate else "supplier"
            relations.append((customer.pk, other.pk, kind, ""))
        if rng.random() < 0.05:
            helper = rng.choice(rms)
            if helper.pk != customer.primary_rm_id:
                assistants.append((customer.pk, helper.pk))
                assignments.append((customer.pk, helper.pk, "assisting", now, "协办"))
    copy_rows(Customer, CUSTOMER_FIELDS, instance_rows(customers, CUSTOMER_FIELDS))
    copy_rows(
        TierChange,
        ["customer", "kind", "old_value", "new_value", "effective_on", "reason", "created_at"],
        tier_changes,
    )
    copy_rows(Assignment, ["customer", "rm", "role", "started_at", "reason"], assignments)
    copy_rows(
        MonthlyBalance,
        ["customer", "month", "avg_financial_assets", "avg_deposits", "avg_loans", "star_points"],
        balances,
    )
    copy_rows(
        Holding,
        [
            "customer",
            "product",
            "account_no",
            "amount",
            "currency",
            "opened_on",
            "matures_on",
            "status",
        ],
        holdings,
    )
    copy_rows(KeyContact, ["customer", "name", "title", "phone", "birthday"], contacts)
    copy_rows(Relation, ["from_customer", "to_customer", "kind", "note"], relations)
    copy_rows(CustomerAssistant, ["customer", "rm"], assistants)

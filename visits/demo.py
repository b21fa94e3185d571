"""Demo visits: a year of history (about two visits per customer) and a planned week ahead
for every RM, with Chinese texts. Bulk writes only, like the customer seed."""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.bulk import analyze, copy_rows
from customers.models import Customer

from .models import Visit

CHUNK = 5000
CHANNELS = ["on_site", "on_site", "branch", "phone", "phone", "video", "event"]
PURPOSES = [
    "定期存款到期续存沟通",
    "介绍新发行理财产品",
    "年度资产配置检视",
    "了解企业经营状况",
    "生日问候并送上贺卡",
    "代发工资业务洽谈",
    "风险承受能力重新评估",
    "信用卡额度调整咨询",
]
SUMMARIES = [
    "客户对稳健型理财有兴趣，希望收益高于定期存款。",
    "客户近期有购房计划，关注房贷利率，约定下次带上贷款方案。",
    "企业回款周期变长，现金流偏紧，建议使用现金管理产品。",
    "客户子女明年出国留学，需要外汇和留学贷款服务。",
    "客户对基金波动有顾虑，解释了定投的分散作用。",
    "续存意愿明确，已预约到期日办理。",
    "客户家中老人有养老规划需求，介绍了养老理财和保险。",
]
NEXT_STEPS = [
    "送产品说明书",
    "到期日前电话提醒",
    "带上贷款方案面谈",
    "邀请参加理财沙龙",
    "办理续存",
]
FIELDS = [
    "customer",
    "rm",
    "channel",
    "planned_start",
    "planned_end",
    "place",
    "purpose",
    "status",
    "objective",
    "expected_questions",
    "summary",
    "purpose_met",
    "value_given",
    "next_step_agreed",
    "next_step",
    "next_visit_on",
    "completed_at",
    "created_at",
]


def _at(day, hour, minute=0):
    return timezone.make_aware(
        datetime.combine(day, time(hour, minute)), timezone.get_current_timezone()
    )


def seed_visits(*, seed: int = 1, per_customer: int = 2, stdout=None) -> int:
    """Create the demo visits (skipped when visits already exist)."""
    if Visit.objects.exists():
        return 0
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    created = 0
    last_id = 0
    while True:
        chunk = list(
            Customer.objects.filter(pk__gt=last_id, archived_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "primary_rm_id", "address")[:CHUNK]
        )
        if not chunk:
            break
        last_id = chunk[-1][0]
        rows = []
        for customer_id, rm_id, address in chunk:
            for _ in range(rng.randrange(0, per_customer * 2 + 1)):
                day = today - timedelta(days=rng.randrange(1, 365))
                start = _at(day, rng.randrange(9, 17), rng.choice([0, 30]))
                good = rng.random() < 0.7
                rows.append(
                    (
                        customer_id,
                        rm_id,
                        rng.choice(CHANNELS),
                        start,
                        start + timedelta(hours=1),
                        address[:60],
                        rng.choice(PURPOSES),
                        Visit.Status.COMPLETED,
                        "",
                        "",
                        rng.choice(SUMMARIES),
                        good,
                        good or rng.random() < 0.5,
                        good,
                        rng.choice(NEXT_STEPS),
                        None,
                        start + timedelta(hours=1),
                        now,
                    )
                )
        with transaction.atomic():
            created += copy_rows(Visit, FIELDS, rows)
        if stdout is not None and last_id % (CHUNK * 20) < CHUNK:
            stdout.write(f"  {created:,} visits")
    created += _plan_the_week(rng, today, now)
    analyze()
    return created


def _plan_the_week(rng, today, now) -> int:
    """Five to eight planned visits in the coming week for every active RM."""
    rows = []
    for rm in User.objects.filter(role=User.Role.RM, is_active=True):
        customers = list(
            Customer.objects.filter(primary_rm=rm, archived_at__isnull=True)
            .order_by("-monthly_avg_assets")
            .values_list("pk", "address")[:40]
        )
        for customer_id, address in rng.sample(customers, min(len(customers), rng.randrange(5, 9))):
            day = today + timedelta(days=rng.randrange(0, 7))
            start = _at(day, rng.randrange(9, 17), rng.choice([0, 30]))
            rows.append(
                (
                    customer_id,
                    rm.pk,
                    rng.choice(CHANNELS),
                    start,
                    start + timedelta(hours=1),
                    address[:60],
                    rng.choice(PURPOSES),
                    Visit.Status.PLANNED,
                    "了解资金到期安排，推荐合适产品",
                    "收益能否保本？——说明产品风险等级与历史表现",
                    "",
                    False,
                    False,
                    False,
                    "",
                    None,
                    None,
                    now,
                )
            )
    with transaction.atomic():
        return copy_rows(Visit, FIELDS, rows)

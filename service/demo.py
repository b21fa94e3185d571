"""Demo tickets, care actions and gifts for the customers already loaded: about one ticket
for every ten customers (100,000 at a million), most of them answered or closed, the rest
open at every point of their clock; a walk-in enquiry now and then. Bulk writes only."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.bulk import analyze, copy_rows
from customers.models import Customer
from home.registry import register_demo_seeder

from .models import (
    DEFAULT_LIMITS,
    LEVEL_OF_TIER,
    CareAction,
    Gift,
    ServiceLevel,
    Ticket,
    TicketType,
)

CHUNK = 5000
TICKET_SHARE = 0.1
CARE_SHARE = 0.05
GIFT_SHARE = 0.01
TYPES = ["complaint"] * 4 + ["request"] * 3 + ["appointment", "suggestion", "enquiry", "enquiry"]
CHANNELS = ["branch", "branch", "phone", "phone", "online", "letter", "regulator"]
CATEGORIES = [c for c, _label in Ticket.Category.choices]
CONTENTS = {
    "complaint": [
        "定期存单到期未按约定自动转存，利息损失。",
        "柜员办理业务态度冷淡，等候时间过长。",
        "理财产品风险未讲清楚，净值下跌后才知道。",
        "信用卡年费未提前告知即被扣收。",
        "手机银行转账失败但账户已扣款。",
    ],
    "request": ["预约大额取现五十万元。", "申请上门收款服务。", "补办存折并挂失旧折。"],
    "appointment": ["预约周六上午办理个人养老金开户。", "预约理财经理面谈资产配置。"],
    "suggestion": ["建议网点增加老年人专用窗口。", "建议手机银行增加大字版。"],
    "enquiry": ["咨询大额存单起存金额和利率。", "咨询外币汇款到账时间。"],
}
ROOT_CAUSES = ["系统转存参数设置错误", "员工未按规范履行告知义务", "高峰时段窗口不足"]
CARE_KINDS = ["card", "flowers", "message", "call", "visit", "gift", "thank_you"]
CARE_OCCASIONS = ["birthday", "festival", "illness", "first_deal", "other"]
# (gift, value, occasion); the tea is above the default limit and waits for a head's approval.
GIFTS = [
    ("月饼礼盒", 168, "中秋"),
    ("鲜花", 120, "生日"),
    ("茶叶", 380, "春节"),
    ("生日蛋糕", 198, "生日"),
    ("贺卡", 10, "生日"),
]

FIELDS = [
    "ticket_type",
    "customer",
    "contact_name",
    "contact_gender",
    "contact_phone",
    "channel",
    "category",
    "content",
    "received_at",
    "received_by",
    "service_level",
    "handler",
    "handling_unit",
    "subject_rm",
    "subject_unit",
    "promised_on",
    "due_at",
    "extensions",
    "state",
    "cause_class",
    "upheld",
    "remedy",
    "root_cause",
    "answer",
    "satisfaction",
    "answered_at",
    "closed_at",
    "retention_visit",
    "retention_by",
    "created_at",
]


def _ticket_row(rng, now, customer_id, rm_id, branch_id, tier_code):
    ticket_type = rng.choice(TYPES)
    level = LEVEL_OF_TIER.get(tier_code, ServiceLevel.STANDARD) if customer_id else "standard"
    days = DEFAULT_LIMITS[TicketType(ticket_type)][ServiceLevel(level)]["answer_days"]
    received = now - timedelta(days=rng.uniform(0, 120))
    due = received + timedelta(days=days)
    answered = closed = None
    state = "in_hand"
    cause = root = satisfaction = ""
    upheld = None
    age = (now - received).days
    if age > days + 5 or (age > 2 and rng.random() < 0.6):
        answered = received + timedelta(
            days=rng.uniform(0.2, days * (1.15 if rng.random() < 0.1 else 0.9))
        )
        answered = min(answered, now)
        state = "answered"
        if rng.random() < 0.85:
            state, closed = "closed", answered + timedelta(hours=rng.randrange(1, 48))
            closed = min(closed, now)
            satisfaction = rng.choice(["satisfied", "satisfied", "fair", "dissatisfied"])
            if ticket_type == "complaint":
                cause = rng.choice(["business", "service"])
                upheld = rng.random() < 0.6
                root = rng.choice(ROOT_CAUSES)
    elif rng.random() < 0.2:
        state = "dispatched"
    return (
        ticket_type,
        customer_id,
        "" if customer_id else rng.choice(["王先生", "李女士", "张先生", "刘女士"]),
        "" if customer_id else rng.choice(["male", "female"]),
        "" if customer_id else f"139{rng.randrange(10**8):08d}",
        rng.choice(CHANNELS),
        rng.choice(CATEGORIES),
        rng.choice(CONTENTS[ticket_type]),
        received,
        rm_id,
        level,
        rm_id,
        branch_id,
        None,
        None,
        None,
        due,
        0,
        state,
        cause,
        upheld,
        "已致歉并说明处理结果" if closed else "",
        root if closed else "",
        "已电话回复客户" if answered else "",
        satisfaction,
        answered,
        closed,
        None,
        "",
        received,
    )


@register_demo_seeder(key="service", order=50)
def seed(*, seed, customers, stdout):
    """Idempotent: nothing is written when tickets exist already."""
    if Ticket.objects.exists():
        return {}
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    made = {"tickets": 0, "care actions": 0, "gifts": 0}
    last_id = 0
    while True:
        chunk = list(
            Customer.objects.filter(pk__gt=last_id, archived_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "primary_rm_id", "branch_id", "asset_tier__code")[:CHUNK]
        )
        if not chunk:
            break
        last_id = chunk[-1][0]
        tickets, care, gifts = [], [], []
        for customer_id, rm_id, branch_id, tier_code in chunk:
            draw = rng.random()
            if draw < TICKET_SHARE:
                tickets.append(_ticket_row(rng, now, customer_id, rm_id, branch_id, tier_code))
                if draw < TICKET_SHARE / 30:
                    tickets.append(_ticket_row(rng, now, None, rm_id, branch_id, None))
            if rng.random() < CARE_SHARE:
                care.append(
                    (
                        customer_id,
                        rng.choice(CARE_KINDS),
                        rng.choice(CARE_OCCASIONS),
                        "",
                        today - timedelta(days=rng.randrange(0, 300)),
                        rng.choice([0, 10, 50, 120]),
                        "",
                        rm_id,
                        now,
                    )
                )
            if rng.random() < GIFT_SHARE:
                item, value, occasion = rng.choice(GIFTS)
                # Above the limit: recorded, not given until a head approves it.
                given = today - timedelta(days=rng.randrange(0, 300)) if value <= 200 else None
                gifts.append((customer_id, item, value, occasion, rm_id, now, None, None, given))
        with transaction.atomic():
            made["tickets"] += copy_rows(Ticket, FIELDS, tickets)
            made["care actions"] += copy_rows(
                CareAction,
                [
                    "customer",
                    "kind",
                    "occasion",
                    "festival",
                    "done_on",
                    "cost",
                    "note",
                    "by",
                    "created_at",
                ],
                care,
            )
            made["gifts"] += copy_rows(
                Gift,
                [
                    "customer",
                    "item",
                    "value",
                    "occasion",
                    "recorded_by",
                    "recorded_at",
                    "approved_by",
                    "approved_at",
                    "given_on",
                ],
                gifts,
            )
        if stdout is not None and last_id % (CHUNK * 40) < CHUNK:
            stdout.write(f"  {made['tickets']:,} tickets")
    analyze()
    return made

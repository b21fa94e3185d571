"""The default assessment schemes, staffing rules and credit policy (DOMAIN.md, "How RMs are
scored"); a data migration writes them once, admins change them in the Django admin.

Amounts in CNY unless the measure is in USD (international settlement)."""

from decimal import Decimal

M = Decimal(1_000_000)

# (group, [(indicator, measure, weight, method, higher_is_better, low, high, target)])
CORPORATE_GROUPS = [
    (
        "对公业务",
        [
            ("对公存款日均", "avg_deposits", 15, "share", True, 0, 0, 60 * M),
            ("新增存款日均", "new_avg_deposits", 10, "share", True, 0, 0, 30 * M),
            ("贷款日均", "avg_loans", 10, "share", True, 0, 0, 100 * M),
            ("新增客户", "customers_new", 5, "rank", True, 0, 0, 0),
        ],
    ),
    (
        "国际业务",
        [
            ("国际结算量（美元）", "intl_settlement", 10, "share", True, 0, 0, 50 * M),
        ],
    ),
    (
        "中间业务收入",
        [
            ("中间业务收入", "intermediate_income", 15, "share", True, 0, 0, 2 * M),
        ],
    ),
    (
        "资产质量",
        [
            ("未解除预警", "watch_open", 5, "linear", False, 10, 0, 0),
            ("逾期贷后检查", "checks_overdue", 5, "linear", False, 5, 0, 0),
        ],
    ),
    (
        "交叉销售",
        [
            ("户均产品数", "cross_sell", 10, "linear", True, 1, 4, 0),
        ],
    ),
    (
        "加分项",
        [
            ("赢单金额", "pipeline_won", 5, "rank", True, 0, 0, 0),
        ],
    ),
    (
        "综合贡献",
        [
            ("利息收入", "interest_collected", 10, "share", True, 0, 0, 5 * M),
        ],
    ),
]
RETAIL_GROUPS = [
    (
        "金融资产",
        [
            ("金融资产日均", "avg_assets", 30, "share", True, 0, 0, 50 * M),
            ("新增金融资产日均", "new_avg_assets", 25, "share", True, 0, 0, 10 * M),
        ],
    ),
    (
        "客户",
        [
            ("管户客户数", "customers", 15, "rank", True, 0, 0, 0),
        ],
    ),
    (
        "交叉销售",
        [
            ("户均产品数", "cross_sell", 10, "linear", True, 1, 4, 0),
        ],
    ),
    (
        "走访覆盖",
        [
            ("走访覆盖率", "coverage", 10, "linear", True, 50, 100, 0),
        ],
    ),
    (
        "客户投诉",
        [
            ("投诉件数", "complaints_received", 10, "linear", False, 5, 0, 0),
        ],
    ),
]
# The senior grade's threshold from DOMAIN.md.
SENIOR_THRESHOLD = {
    "all_of": [{"measure": "avg_deposits", "min": 60_000_000}],
    "any_of": [
        {"measure": "avg_loans", "min": 100_000_000},
        {"measure": "new_avg_deposits", "min": 30_000_000, "with_loan": True},
        {"measure": "intl_settlement", "min": 50_000_000, "with_loan": True},
    ],
}
QUALITY_ITEMS = [
    ("职业操守", "mark", 20),
    ("团队协作", "mark", 15),
    ("合规经营", "mark", 15),
    ("工作日志", "diary", 10),
    ("走访纪律", "coverage", 15),
    ("档案完整", "archive", 10),
    ("预警处置时效", "warnings", 10),
    ("无有责投诉", "complaints", 5),
]
STAFFING = [("branch", 3), ("outlet", 1)]


def install(apps):
    """Write the defaults (once: nothing happens if a scheme already exists)."""
    Scheme = apps.get_model("reports", "Scheme")
    if Scheme.objects.exists():
        return
    IndicatorGroup = apps.get_model("reports", "IndicatorGroup")
    Indicator = apps.get_model("reports", "Indicator")
    ThresholdRule = apps.get_model("reports", "ThresholdRule")
    QualityItem = apps.get_model("reports", "QualityItem")
    for name, line, groups in (
        ("对公客户经理年度考评", "corporate", CORPORATE_GROUPS),
        ("零售客户经理年度考评", "retail", RETAIL_GROUPS),
    ):
        scheme = Scheme.objects.create(name=name, line=line, period="year")
        for g, (group_name, indicators) in enumerate(groups):
            group = IndicatorGroup.objects.create(scheme=scheme, name=group_name, position=g)
            for n, (ind, measure, weight, method, higher, low, high, target) in enumerate(
                indicators
            ):
                Indicator.objects.create(
                    group=group,
                    name=ind,
                    measure=measure,
                    weight=weight,
                    method=method,
                    higher_is_better=higher,
                    low=low,
                    high=high,
                    target=target,
                    position=n,
                )
        for n, (item, source, points) in enumerate(QUALITY_ITEMS):
            QualityItem.objects.create(
                scheme=scheme, name=item, source=source, points=points, position=n
            )
        if line == "corporate":
            ThresholdRule.objects.create(scheme=scheme, grade="senior", **SENIOR_THRESHOLD)
    StaffingRule = apps.get_model("reports", "StaffingRule")
    for level, minimum in STAFFING:
        StaffingRule.objects.get_or_create(level=level, defaults={"minimum": minimum})

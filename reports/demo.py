"""Demo data of the reports: grades, figures kept elsewhere, heads' quality marks, and the
daily facts of the last ~400 days (the snapshot job's catch-up). Idempotent: a rerun adds
nothing; bulk writes only, so it scales to the million-customer demo."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from home.registry import register_demo_seeder

from .models import ExternalFigure, GradeRecord, QualityItem, QualityMark
from .snapshots import run_snapshots
from .warm import warm

MONTHS = 13


def _grade(rng) -> str:
    roll = rng.random()
    return (
        "chief" if roll < 0.1 else "senior" if roll < 0.35 else "rm" if roll < 0.85 else "assistant"
    )


@register_demo_seeder(key="reports", order=900)
def seed(*, seed, customers, stdout):
    rng = random.Random(seed)
    today = timezone.localdate()
    rms = list(User.objects.filter(role=User.Role.RM, branch__isnull=False).order_by("pk"))
    graded = set(GradeRecord.objects.values_list("rm_id", flat=True))
    grades = []
    for n, rm in enumerate(rms):
        line = "corporate" if n % 3 == 0 else "retail"
        grade = _grade(rng)
        if rm.pk not in graded:
            grades.append(
                GradeRecord(
                    rm=rm,
                    line=line,
                    grade=grade,
                    since=date(today.year - 1, 1, 1),
                    reason="年度考评定级",
                )
            )
    GradeRecord.objects.bulk_create(grades)
    corporate = {g.rm_id for g in GradeRecord.objects.filter(line="corporate")}
    first = date(today.year, today.month, 1)
    months = []
    for _ in range(MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    figures = []
    for rm in rms:
        if rm.pk not in corporate:
            continue
        for month in months:
            for measure, scale in (
                ("intl_settlement", 6_000_000),
                ("intermediate_income", 200_000),
                ("interest_collected", 500_000),
            ):
                amount = Decimal(int(scale * rng.uniform(0.2, 1.8)))
                figures.append(
                    ExternalFigure(
                        rm=rm, branch_id=rm.branch_id, month=month, measure=measure, amount=amount
                    )
                )
    before = ExternalFigure.objects.count()
    ExternalFigure.objects.bulk_create(figures, ignore_conflicts=True, batch_size=5000)
    made_figures = ExternalFigure.objects.count() - before
    marks = []
    items = list(QualityItem.objects.filter(source=QualityItem.Source.MARK))
    for item in items:
        start = (
            date(today.year, 1, 1)
            if item.scheme.period == "year"
            else date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        )
        for rm in rms:
            points = (item.points * Decimal(rng.uniform(0.6, 1))).quantize(Decimal("0.01"))
            marks.append(QualityMark(item=item, rm=rm, period_start=start, points=points))
    QualityMark.objects.bulk_create(marks, ignore_conflicts=True, batch_size=5000)
    snapshot = run_snapshots(today - timedelta(days=1))
    warm(today)
    return {
        "grades": len(grades),
        "external figures": made_figures,
        "days of figures": snapshot["days"],
    }

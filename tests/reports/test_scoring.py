from datetime import date
from decimal import Decimal

import pytest

from reports.models import (
    FrozenScore,
    GradeRecord,
    Indicator,
    IndicatorGroup,
    QualityItem,
    QualityMark,
    RmDay,
    Scheme,
    SnapshotDay,
    ThresholdRule,
)
from reports.scoring import (
    assess,
    competition_ranks,
    cutoff,
    indicator_points,
    qualifies,
    threshold_met,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 31)


@pytest.mark.parametrize("n, line, protect", [(1, 1, 1), (7, 5, 2), (20, 12, 3), (120, 72, 18)])
def test_cutoffs_are_inclusive_and_rounded_up(n, line, protect):
    assert cutoff(n, Decimal("0.6")) == line
    assert cutoff(n, Decimal("0.15")) == protect
    assert qualifies(line, n) and not qualifies(line + 1, n)


def test_ties_share_the_better_rank():
    ranks = competition_ranks({"a": 90, "b": 80, "c": 80, "d": 70})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert competition_ranks({"a": 1, "b": 3}, higher_is_better=False) == {"a": 1, "b": 2}


def test_the_threshold_needs_all_of_and_one_of_any_of():
    rule = ThresholdRule(
        grade="senior",
        all_of=[{"measure": "avg_deposits", "min": 60_000_000}],
        any_of=[
            {"measure": "avg_loans", "min": 100_000_000},
            {"measure": "new_avg_deposits", "min": 30_000_000, "with_loan": True},
            {"measure": "intl_settlement", "min": 50_000_000, "with_loan": True},
        ],
    )
    base = {"avg_deposits": Decimal(60_000_000)}
    assert threshold_met(rule, base)[0] is False  # none of the any-of
    assert threshold_met(rule, {**base, "avg_loans": Decimal(100_000_000)})[0] is True
    # New deposits without a loan balance do not count; with one they do.
    assert threshold_met(rule, {**base, "new_avg_deposits": Decimal(30_000_000)})[0] is False
    assert (
        threshold_met(
            rule, {**base, "new_avg_deposits": Decimal(30_000_000), "avg_loans": Decimal(1)}
        )[0]
        is True
    )
    ok, details = threshold_met(
        rule, {"avg_deposits": Decimal(59_000_000), "avg_loans": Decimal(200_000_000)}
    )
    assert ok is False
    assert details[0]["short"] == Decimal(1_000_000)


def test_indicator_points_by_share_rank_and_line():
    share = Indicator(weight=10, cap=Decimal("1.2"), method="share", higher_is_better=True)
    assert indicator_points(share, Decimal(50), Decimal(100)) == 5
    assert indicator_points(share, Decimal(500), Decimal(100)) == 12  # capped at 120 %
    rank = Indicator(weight=10, cap=1, method="rank")
    assert indicator_points(rank, None, 0, rank=1, n=5) == 10
    assert indicator_points(rank, None, 0, rank=5, n=5) == 0
    assert indicator_points(rank, None, 0, rank=3, n=5) == 5
    assert indicator_points(rank, None, 0, rank=1, n=1) == 10
    line = Indicator(weight=10, cap=1, method="linear", low=5, high=0)  # lower is better
    assert indicator_points(line, Decimal(1), 0) == 8
    assert indicator_points(line, Decimal(9), 0) == 0


@pytest.fixture
def scheme(db):
    scheme = Scheme.objects.create(name="测试", line="retail", period="quarter")
    group = IndicatorGroup.objects.create(scheme=scheme, name="存款")
    Indicator.objects.create(
        group=group,
        name="存款日均",
        measure="avg_deposits",
        weight=100,
        method="share",
        target=1000,
        cap=Decimal("2"),
    )
    QualityItem.objects.create(scheme=scheme, name="操守", source="mark", points=50)
    QualityItem.objects.create(scheme=scheme, name="档案", source="archive", points=50)
    return scheme


def team(org, deposits: list[int]):
    rms = []
    for n, value in enumerate(deposits):
        rm = UserFactory(username=f"peer{n}", branch=org.b1a)
        RmDay.objects.create(
            rm=rm, branch=org.b1a, day=DAY, avg_deposits=value, customers=10, archive_complete=8
        )
        rms.append(rm)
    SnapshotDay.objects.create(day=DAY, finished_at="2026-04-01T00:00Z")
    return rms


def test_seven_peers_with_ties_and_the_what_if_line(org, scheme):
    rms = team(org, [900, 800, 800, 700, 600, 600, 100])
    cards = assess(scheme, DAY)
    got = [(cards[rm.pk].score, cards[rm.pk].rank, cards[rm.pk].qualifies) for rm in rms]
    assert got == [
        (Decimal("90.00"), 1, True),
        (Decimal("80.00"), 2, True),
        (Decimal("80.00"), 2, True),
        (Decimal("70.00"), 4, True),
        (Decimal("60.00"), 5, True),  # ⌈0.6 × 7⌉ = 5: ranks 5 and 5 both in
        (Decimal("60.00"), 5, True),
        (Decimal("10.00"), 7, False),
    ]
    last = cards[rms[-1].pk]
    # 500 CNY more deposits (daily average) reach the line's 60 points: rank 5 of 7.
    assert last.what_if[0]["delta"] == 500
    assert (last.what_if[0]["rank"], last.what_if[0]["peers"]) == (5, 7)
    assert last.to_line == 50
    # ⌈0.15 × 7⌉ = 2: rank 1 and both rank-2 ties are protected, rank 4 is not.
    assert [cards[rm.pk].protected for rm in rms[:4]] == [True, True, True, False]
    # quality: archive 8 of 10 customers = 40 of 50 points; the head's mark not given yet.
    assert last.quality == 40 and last.quality_pass is False


def test_protection_keeps_the_top_15_percent(org, scheme):
    rms = team(org, [900, 800, 700])
    cards = assess(scheme, DAY)
    # Nobody passes quality (no head's marks): the top 15 % (⌈0.45⌉ = rank 1) is protected.
    assert cards[rms[0].pk].proposal == FrozenScore.Proposal.PROTECTED
    assert cards[rms[1].pk].proposal == FrozenScore.Proposal.DEMOTE
    item = scheme.quality_items.get(source="mark")
    QualityMark.objects.create(item=item, rm=rms[1], period_start=date(2026, 1, 1), points=50)
    cards = assess(scheme, DAY)
    assert cards[rms[1].pk].quality == 90 and cards[rms[1].pk].proposal == "keep"


@pytest.mark.parametrize("n", [20, 120])
def test_the_line_in_big_peer_groups(org, scheme, n):
    rms = team(org, list(range(n, 0, -1)))  # distinct scores, best first
    cards = assess(scheme, DAY)
    line = cutoff(n, Decimal("0.6"))
    assert [cards[rm.pk].qualifies for rm in rms].count(True) == line
    assert cards[rms[line - 1].pk].qualifies and not cards[rms[line].pk].qualifies


def test_peer_groups_split_by_grade(org, scheme):
    rms = team(org, [900, 100])
    GradeRecord.objects.create(rm=rms[1], line="retail", grade="senior")
    cards = assess(scheme, DAY)
    assert cards[rms[0].pk].peers == 1 and cards[rms[1].pk].peers == 1
    GradeRecord.objects.create(rm=rms[0], line="corporate", grade="senior")
    assert rms[0].pk not in assess(scheme, DAY)


def test_the_default_schemes(db):
    corporate = Scheme.objects.get(line="corporate")
    assert corporate.groups.count() == 7
    rule = corporate.thresholds.get(grade="senior")
    assert rule.all_of[0]["min"] == 60_000_000 and len(rule.any_of) == 3
    retail = Scheme.objects.get(line="retail")
    measures = set(Indicator.objects.filter(group__scheme=retail).values_list("measure", flat=True))
    assert {
        "avg_assets",
        "new_avg_assets",
        "customers",
        "cross_sell",
        "coverage",
        "complaints_received",
    } <= measures
    assert (corporate.qualify_share, corporate.protect_share, corporate.quality_pass) == (
        Decimal("0.6"),
        Decimal("0.15"),
        80,
    )

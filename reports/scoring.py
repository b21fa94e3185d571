"""The assessment of RMs (考评): indicator points, ranks within the peer group, the cut-offs,
the performance threshold, the quality score, and what would change an RM's standing.

The rules, as banks state them and the schemes default to:

- Rank within the peer group (same line, same grade, same branch level), best first; ties
  share the better rank (competition ranking: 1, 2, 2, 4).
- Qualify: rank r of n qualifies when r ≤ ⌈0.6 · n⌉ (top 60 %, inclusive).
- Protection: below the threshold (or the line) but r ≤ ⌈0.15 · n⌉: not demoted.
- Quality: a score of 80 or more passes (inclusive).
"""

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from . import measures as M
from .figures import Period, figures
from .models import (
    GRADE_ORDER,
    ExternalFigure,
    FrozenScore,
    Grade,
    GradeRecord,
    Indicator,
    Line,
    QualityItem,
    QualityMark,
    RmDay,
    Scheme,
    Target,
)

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def cutoff(n: int, share) -> int:
    """The last rank inside the top ``share`` of ``n`` (inclusive): ⌈share · n⌉."""
    return math.ceil(Decimal(n) * Decimal(share) - Decimal("1e-9")) if n else 0


def competition_ranks(scores: dict, higher_is_better: bool = True) -> dict:
    """{key: rank}; equal scores share the better rank (1, 2, 2, 4)."""
    ordered = sorted(scores.values(), reverse=higher_is_better)
    first = {}
    for n, score in enumerate(ordered, start=1):
        first.setdefault(score, n)
    return {key: first[score] for key, score in scores.items()}


def qualifies(rank: int, n: int, share=Decimal("0.6")) -> bool:
    return rank <= cutoff(n, share)


def condition_met(condition: dict, values: dict) -> bool:
    value = values.get(condition["measure"]) or ZERO
    if value < Decimal(str(condition["min"])):
        return False
    return not condition.get("with_loan") or (values.get("avg_loans") or ZERO) > 0


def threshold_met(rule, values: dict) -> tuple[bool, list[dict]]:
    """Every condition of ``all_of`` and, if ``any_of`` has any, one of them. Returns the
    verdict and each condition with its shortfall (0 when met)."""
    if rule is None:
        return True, []
    details = []
    for group in ("all_of", "any_of"):
        for condition in getattr(rule, group):
            value = values.get(condition["measure"]) or ZERO
            met = condition_met(condition, values)
            details.append(
                {
                    "group": group,
                    "measure": condition["measure"],
                    "label": str(M.BY_CODE[condition["measure"]].label),
                    "unit": M.BY_CODE[condition["measure"]].unit,
                    "min": Decimal(str(condition["min"])),
                    "with_loan": bool(condition.get("with_loan")),
                    "value": value,
                    "met": met,
                    "short": max(Decimal(str(condition["min"])) - value, ZERO),
                }
            )
    all_ok = all(d["met"] for d in details if d["group"] == "all_of")
    anys = [d["met"] for d in details if d["group"] == "any_of"]
    return all_ok and (not anys or any(anys)), details


def indicator_points(indicator, value, target, rank=None, n=None) -> Decimal:
    weight, cap = indicator.weight, indicator.cap
    value = value if value is not None else ZERO
    if indicator.method == Indicator.Method.SHARE:
        if not target:
            return ZERO
        if indicator.higher_is_better:
            share = value / target
        else:
            share = cap if value <= 0 else target / value
        return weight * max(min(share, cap), ZERO)
    if indicator.method == Indicator.Method.RANK:
        if not n:
            return ZERO
        return weight if n == 1 else weight * Decimal(n - rank) / Decimal(n - 1)
    span = indicator.high - indicator.low
    if not span:
        return ZERO
    return weight * max(min((value - indicator.low) / span, cap), ZERO)


def value_for_points(indicator, points: Decimal, target) -> Decimal | None:
    """The measure value at which ``indicator`` gives ``points`` (None if it never does)."""
    weight, cap = indicator.weight, indicator.cap
    if points > weight * cap:
        return None
    if indicator.method == Indicator.Method.SHARE and indicator.higher_is_better and target:
        return points / weight * target
    if indicator.method == Indicator.Method.LINEAR and indicator.high != indicator.low:
        return indicator.low + points / weight * (indicator.high - indicator.low)
    return None


@dataclass
class Card:
    rm_id: int
    name: str
    branch_id: int | None
    grade: str
    values: dict
    level: str = ""
    lines: list = field(default_factory=list)  # (indicator, value, target, points)
    groups: list = field(default_factory=list)  # (group, points, weight)
    score: Decimal = ZERO
    quality: Decimal = ZERO
    quality_lines: list = field(default_factory=list)
    rank: int = 0
    peers: int = 0
    line_rank: int = 0
    qualifies: bool = False
    protected: bool = False
    threshold: bool = True
    threshold_details: list = field(default_factory=list)
    quality_pass: bool = False
    proposal: str = ""
    to_line: Decimal | None = None  # points to the 60 % line (positive: short of it)
    what_if: list = field(default_factory=list)


def current_grades(rm_ids) -> dict:
    """{rm id: (line, grade)} from the newest grade record; RMs without one are retail RMs."""
    out = {}
    for rm_id, line, grade in (
        GradeRecord.objects.filter(rm_id__in=rm_ids, since__lte=timezone.localdate())
        .order_by("rm_id", "-since", "-id")
        .values_list("rm_id", "line", "grade")
    ):
        out.setdefault(rm_id, (line, grade))
    return {pk: out.get(pk, (Line.RETAIL, Grade.RM)) for pk in rm_ids}


def scheme_period(scheme: Scheme, day: date) -> Period:
    return Period.of("year" if scheme.period == Scheme.Period.YEAR else "quarter", day)


def peer_key(scheme, grade, level):
    return (grade, level if scheme.peer_by_branch_level else "")


def assess(scheme: Scheme, day: date) -> dict:
    """Every RM of the scheme's line, scored and ranked in their peer group for the period
    holding ``day``: {rm id: Card}. Reads only the daily facts (one set of queries for all
    RMs) and the scheme."""
    from accounts.models import User

    period = scheme_period(scheme, day)
    rms = list(
        User.objects.filter(role=User.Role.RM, is_active=True, branch__isnull=False)
        .select_related("branch")
        .order_by("pk")
    )
    grades = current_grades([u.pk for u in rms])
    rms = [u for u in rms if grades[u.pk][0] == scheme.line]
    ids = [u.pk for u in rms]
    values = figures(
        RmDay.objects.filter(rm_id__in=ids),
        period,
        group=("rm",),
        external=ExternalFigure.objects.filter(rm_id__in=ids),
    )
    indicators = list(
        Indicator.objects.filter(group__scheme=scheme)
        .select_related("group")
        .order_by("group__position", "group_id", "position", "id")
    )
    targets = {}
    for t in Target.objects.filter(indicator__in=indicators):
        targets[(t.indicator_id, t.rm_id or t.grade)] = t.value
    thresholds = {t.grade: t for t in scheme.thresholds.all()}
    items = list(scheme.quality_items.all())
    marks = {
        (m.item_id, m.rm_id): m.points
        for m in QualityMark.objects.filter(
            item__in=items, rm_id__in=ids, period_start=period.start
        )
    }
    cards = {}
    for u in rms:
        card = Card(
            u.pk, str(u), u.branch_id, grades[u.pk][1], values.get(u.pk, {}), u.branch.level
        )
        cards[u.pk] = card
    groups = {}
    for card in cards.values():
        groups.setdefault(peer_key(scheme, card.grade, card.level), []).append(card)
    workdays = sum(
        1
        for n in range((period.end - period.start).days + 1)
        if (period.start.toordinal() + n) % 7 not in (6, 0)
    )
    for peers in groups.values():
        # Rank-scored indicators first need the peers' values.
        ranks = {}
        for ind in indicators:
            if ind.method == Indicator.Method.RANK:
                ranks[ind.pk] = competition_ranks(
                    {c.rm_id: c.values.get(ind.measure) or ZERO for c in peers},
                    ind.higher_is_better,
                )
        for card in peers:
            card.peers = len(peers)
            by_group = {}
            for ind in indicators:
                value = card.values.get(ind.measure)
                target = targets.get(
                    (ind.pk, card.rm_id), targets.get((ind.pk, card.grade), ind.target)
                )
                rank = ranks.get(ind.pk, {}).get(card.rm_id)
                points = indicator_points(ind, value, target, rank, len(peers))
                card.lines.append((ind, value, target, points))
                by_group.setdefault(ind.group, []).append(points)
            card.groups = [
                (g, sum(p), sum(i.weight for i in indicators if i.group_id == g.pk))
                for g, p in by_group.items()
            ]
            card.score = sum((p for _g, p, _w in card.groups), ZERO).quantize(Decimal("0.01"))
            card.threshold, card.threshold_details = threshold_met(
                thresholds.get(card.grade), card.values
            )
            card.quality_lines = quality_lines(items, card, marks, workdays)
            card.quality = sum((p for _i, p, _n in card.quality_lines), ZERO).quantize(
                Decimal("0.01")
            )
            card.quality_pass = card.quality >= scheme.quality_pass
        score_ranks = competition_ranks({c.rm_id: c.score for c in peers})
        line = cutoff(len(peers), scheme.qualify_share)
        protect = cutoff(len(peers), scheme.protect_share)
        ordered = sorted(peers, key=lambda c: -c.score)
        line_score = ordered[line - 1].score if line else ZERO
        outside = [c.score for c in ordered if score_ranks[c.rm_id] > line]
        for card in peers:
            card.rank = score_ranks[card.rm_id]
            card.line_rank = line
            card.qualifies = card.rank <= line
            card.protected = card.rank <= protect
            card.to_line = (
                (line_score - card.score)
                if not card.qualifies
                else (card.score - (outside[0] if outside else ZERO))
            )
            card.proposal = proposal(card)
            if not card.qualifies:
                card.what_if = what_if(card, line_score, peers, targets)
    return cards


def quality_lines(items, card, marks, workdays) -> list:
    """(item, points earned, note) for each quality item; evidence from the figures."""
    out = []
    v = card.values
    for item in items:
        share, note = None, ""
        if item.source == QualityItem.Source.MARK:
            mark = marks.get((item.pk, card.rm_id))
            out.append(
                (
                    item,
                    min(mark, item.points) if mark is not None else ZERO,
                    "" if mark is not None else "unmarked",
                )
            )
            continue
        if item.source == QualityItem.Source.DIARY:
            share = (v.get("diary_days") or ZERO) / workdays if workdays else ZERO
        elif item.source == QualityItem.Source.COVERAGE:
            share = (v.get("coverage") or ZERO) / HUNDRED
        elif item.source == QualityItem.Source.ARCHIVE:
            share = (v.get("archive_rate") or ZERO) / HUNDRED
        elif item.source == QualityItem.Source.WARNINGS:
            closed = v.get("watch_closed") or ZERO
            share = (v.get("watch_in_time") or ZERO) / closed if closed else Decimal(1)
        elif item.source == QualityItem.Source.COMPLAINTS:
            # Each complaint upheld against the RM for a service cause costs a quarter.
            share = max(Decimal(1) - (v.get("complaints_upheld") or ZERO) / 4, ZERO)
        out.append((item, (item.points * min(share, Decimal(1))).quantize(Decimal("0.01")), note))
    return out


def proposal(card) -> str:
    grade_index = GRADE_ORDER.index(card.grade) if card.grade in GRADE_ORDER else 1
    if card.qualifies and card.threshold and card.quality_pass:
        return FrozenScore.Proposal.KEEP
    if card.protected:
        return FrozenScore.Proposal.PROTECTED
    if grade_index == 0:
        return FrozenScore.Proposal.KEEP
    return FrozenScore.Proposal.DEMOTE


# A daily average and its new daily average move together: more deposits today are more
# deposits and more new deposits.
FAMILIES = [("avg_deposits", "new_avg_deposits"), ("avg_assets", "new_avg_assets")]


def _family(code: str) -> tuple:
    for family in FAMILIES:
        if code in family:
            return family
    return (code,)


def _score_with(card, codes, delta) -> Decimal:
    total = ZERO
    for ind, value, target, points in card.lines:
        if ind.measure in codes and ind.method != Indicator.Method.RANK:
            points = indicator_points(ind, (value or ZERO) + delta, target)
        total += points
    return total


def what_if(card, line_score, peers, targets) -> list[dict]:
    """The smallest change of one measure (with the measures that move with it) that lifts
    the card onto the 60 % line: a tie with the last qualifying score shares its rank. One
    option per measure that can do it, the smallest relative change first."""
    options, tried = [], set()
    others = [c.score for c in peers if c.rm_id != card.rm_id]
    for ind, value, _target, _points in card.lines:
        if ind.method == Indicator.Method.RANK or ind.measure in tried:
            continue
        codes = _family(ind.measure)
        tried.update(codes)
        rising = (
            ind.higher_is_better if ind.method == Indicator.Method.SHARE else ind.high > ind.low
        )
        sign = Decimal(1) if rising else Decimal(-1)
        high = Decimal(1)
        while _score_with(card, codes, sign * high) < line_score and high < Decimal(10) ** 14:
            high *= 2
        if _score_with(card, codes, sign * high) < line_score:
            continue
        low = ZERO
        for _ in range(80):
            middle = (low + high) / 2
            if _score_with(card, codes, sign * middle) >= line_score:
                high = middle
            else:
                low = middle
        measure = M.BY_CODE[ind.measure]
        step = (
            Decimal("1")
            if measure.unit in (M.CNY, M.USD) or measure.kind == M.FLOW
            else Decimal("0.01")
        )
        delta = (sign * high).quantize(step, rounding="ROUND_CEILING" if rising else "ROUND_FLOOR")
        new_score = _score_with(card, codes, delta)
        options.append(
            {
                "indicator": ind.name,
                "measure": ind.measure,
                "label": str(measure.label),
                "unit": measure.unit,
                "delta": delta,
                "rank": 1 + sum(1 for s in others if s > new_score),
                "peers": len(peers),
                "relative": abs(delta) / (abs(value or ZERO) or Decimal(1)),
            }
        )
    options.sort(key=lambda o: o["relative"])
    return options[:3]


def module_ok(code: str) -> bool:
    module = M.BY_CODE[code].module
    return not module or apps.is_installed(module)

"""Writes of the assessment: closing a period, approving grade moves, marking quality."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    GRADE_ORDER,
    FrozenScore,
    GradeRecord,
    PeriodClose,
    Scheme,
    ThresholdRule,
)
from .scoring import assess, scheme_period, threshold_met


def may_close(user) -> bool:
    """Rule: only a head-office admin closes an assessment period and approves grade moves."""
    return user.is_active and user.is_admin


def next_grade(grade: str, step: int) -> str:
    index = GRADE_ORDER.index(grade) if grade in GRADE_ORDER else 1
    return GRADE_ORDER[max(0, min(len(GRADE_ORDER) - 1, index + step))]


@transaction.atomic
def close_period(*, scheme: Scheme, day, actor) -> PeriodClose:
    """Freeze every RM's score of the scheme's period holding ``day`` and propose a move:
    promote (kept and meets the threshold of the grade above), keep, demote, or kept by the
    15 % rule. A period is closed once (unique on scheme and start)."""
    if not may_close(actor):
        raise PermissionDenied
    period = scheme_period(scheme, day)
    if PeriodClose.objects.filter(scheme=scheme, period_start=period.start).exists():
        raise ValidationError(_("This period is already closed."))
    try:
        with transaction.atomic():
            close = PeriodClose.objects.create(
                scheme=scheme, period_start=period.start, period_end=period.end, closed_by=actor
            )
    except IntegrityError as error:
        raise ValidationError(_("This period is already closed.")) from error
    rules = {t.grade: t for t in ThresholdRule.objects.filter(scheme=scheme)}
    rows = []
    for card in assess(scheme, period.end).values():
        proposal = card.proposal
        if proposal == FrozenScore.Proposal.KEEP and card.qualifies:
            above = next_grade(card.grade, 1)
            if (
                above != card.grade
                and above in rules
                and threshold_met(rules[above], card.values)[0]
            ):
                proposal = FrozenScore.Proposal.PROMOTE
        rows.append(
            FrozenScore(
                close=close,
                rm_id=card.rm_id,
                grade=card.grade,
                score=card.score,
                quality=card.quality,
                rank=card.rank,
                peers=card.peers,
                threshold_met=card.threshold,
                proposal=proposal,
                detail={
                    "groups": [[g.name, str(p)] for g, p, _w in card.groups],
                    "qualifies": card.qualifies,
                    "protected": card.protected,
                },
            )
        )
    FrozenScore.objects.bulk_create(rows)
    return close


@transaction.atomic
def approve(*, score: FrozenScore, actor, reason: str = "") -> bool:
    """Approve a proposed move; a promotion or demotion becomes the RM's new grade from the
    day after the period, with its reason. Approving twice does nothing the second time."""
    if not may_close(actor):
        raise PermissionDenied
    if not FrozenScore.objects.filter(pk=score.pk, approved_at__isnull=True).update(
        approved_at=timezone.now(), approved_by=actor
    ):
        return False
    step = {FrozenScore.Proposal.PROMOTE: 1, FrozenScore.Proposal.DEMOTE: -1}.get(score.proposal)
    if step:
        close = score.close
        GradeRecord.objects.create(
            rm_id=score.rm_id,
            line=close.scheme.line,
            grade=next_grade(score.grade, step),
            since=close.period_end + timedelta(days=1),
            reason=reason
            or _("%(scheme)s %(start)s–%(end)s: %(move)s (rank %(rank)d of %(peers)d)")
            % {
                "scheme": close.scheme.name,
                "start": close.period_start,
                "end": close.period_end,
                "move": score.get_proposal_display(),
                "rank": score.rank,
                "peers": score.peers,
            },
            recorded_by=actor,
        )
    return True

"""Writes to opportunities: create, change, move (with the suitability gate), win and lose."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer, CustomerAssistant, Product
from visits.models import Visit
from workflow.services import move

from .models import (
    Change,
    LostReason,
    Opportunity,
    OpportunityAssistant,
    OpportunityLine,
    Stage,
    SuitabilityRefusal,
    Task,
)

FOLLOW_UP_DAYS = 7
FOLLOW_UP_HOUR = 10


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), on the month's last day when it has no
    such day (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def risk_validity_months() -> int:
    return getattr(settings, "OPPORTUNITIES_RISK_VALID_MONTHS", 12)


def assessment_valid(customer: Customer, today: date | None = None) -> bool:
    """Rule: a risk-tolerance grade counts while its assessment is younger than the validity
    (12 months by default, ``OPPORTUNITIES_RISK_VALID_MONTHS``)."""
    today = today or timezone.localdate()
    assessed = customer.risk_assessed_on
    return bool(
        customer.risk_grade and assessed and add_months(assessed, risk_validity_months()) > today
    )


@dataclass
class Unsuitable:
    product: Product
    reason: str  # no_grade, expired, too_risky
    message: str


def suitability_problems(customer: Customer, products, today=None) -> list[Unsuitable]:
    """Rule (适当性): a product with a risk level R1–R5 suits the customer only when the
    customer's risk-tolerance grade C1–C5 is at least as high (C1 ≥ R1, C2 ≥ R2, …) and was
    assessed within its validity. One problem per product that does not suit."""
    today = today or timezone.localdate()
    problems = []
    grade = customer.risk_grade
    for product in products:
        level = product.risk_level
        if not level:
            continue
        params = {
            "grade": grade,
            "product": product.name,
            "level": level,
            "date": customer.risk_assessed_on,
        }
        if not grade:
            problems.append(
                Unsuitable(
                    product,
                    "no_grade",
                    _(
                        "The customer has no risk tolerance grade: %(product)s (risk level "
                        "%(level)s) cannot be proposed."
                    )
                    % params,
                )
            )
        elif not assessment_valid(customer, today):
            problems.append(
                Unsuitable(
                    product,
                    "expired",
                    _(
                        "The customer's risk assessment (%(grade)s, dated %(date)s) has expired "
                        "or has no date: assess again before proposing %(product)s (risk level "
                        "%(level)s)."
                    )
                    % {**params, "date": params["date"] or "—"},
                )
            )
        elif int(grade[1]) < int(level[1]):
            problems.append(
                Unsuitable(
                    product,
                    "too_risky",
                    _(
                        "The customer's risk tolerance %(grade)s is below the risk level "
                        "%(level)s of %(product)s."
                    )
                    % params,
                )
            )
    return problems


# --- rules of an opportunity, shared by the form and the API -------------------------------


def check_opportunity(values: dict, *, is_open=True) -> dict[str, list[str]]:
    """The rules of an opportunity: ``{field: [messages]}``, empty when it may be saved.

    Rules: an expected close date is required; while open, a next step and its date are
    required; the owner's share and the assisting RMs' shares add up to 100; an opportunity
    won alone has no assisting RMs; the probability is a percentage."""
    errors: dict[str, list[str]] = {}
    if not values.get("expected_close_on"):
        errors["expected_close_on"] = [_("Give the expected close date.")]
    if is_open:
        if not (values.get("next_step") or "").strip():
            errors["next_step"] = [_("Every meeting ends with a next step: say what it is.")]
        if not values.get("next_step_on"):
            errors["next_step_on"] = [_("Give the date of the next step.")]
    probability = values.get("probability")
    if probability is not None and not 0 <= probability <= 100:
        errors["probability"] = [_("Enter a percentage from 0 to 100.")]
    assistants = values.get("assistants") or []
    mode = values.get("mode") or Opportunity.Mode.ALONE
    owner_share = values.get("owner_share", 100)
    if mode == Opportunity.Mode.ALONE and assistants:
        errors["assistants"] = [_("An opportunity worked alone has no assisting RMs.")]
    elif mode != Opportunity.Mode.ALONE and not assistants:
        errors["assistants"] = [_("Name the RMs who share this opportunity.")]
    elif sum(share for _rm, share in assistants) + (owner_share or 0) != 100:
        errors["assistants"] = [
            _("The owner's share and the assisting RMs' shares must add up to 100 %.")
        ]
    return errors


def assistant_choices(customer: Customer, owner_id=None):
    """The RMs who may assist on an opportunity: the customer's primary RM and assisting RMs
    (so that everyone with a share already sees the customer), other than the owner."""
    ids = set(CustomerAssistant.objects.filter(customer=customer).values_list("rm_id", flat=True))
    if customer.primary_rm_id:
        ids.add(customer.primary_rm_id)
    ids.discard(owner_id)
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


def _set_lines(opportunity, lines):
    opportunity.lines.all().delete()
    OpportunityLine.objects.bulk_create(
        OpportunityLine(
            opportunity=opportunity,
            product=product,
            amount=amount or 0,
            expected_revenue=revenue or 0,
            dual_recorded=bool(recorded),
        )
        for product, amount, revenue, recorded in lines
    )


def _totals(lines):
    amount = sum((Decimal(a or 0) for _p, a, _r, _d in lines), Decimal(0))
    revenue = sum((Decimal(r or 0) for _p, _a, r, _d in lines), Decimal(0))
    return amount, revenue


def may_create_for(actor: User, customer: Customer) -> bool:
    """Rule: among those who see the customer, its primary RM, an assisting RM of the
    customer, a head and an admin open opportunities (an archived file takes none)."""
    if customer.is_archived or not actor.is_active:
        return False
    if actor.is_admin or actor.is_head or customer.primary_rm_id == actor.pk:
        return True
    return CustomerAssistant.objects.filter(customer=customer, rm=actor).exists()


@transaction.atomic
def create_opportunity(
    *,
    actor: User,
    customer: Customer,
    title: str,
    expected_close_on: date,
    next_step: str,
    next_step_on: date,
    type: str = Opportunity.Type.GROW,
    lines=(),
    source: str = Opportunity.Source.OWN,
    competitor: str = "",
    mode: str = Opportunity.Mode.ALONE,
    owner_share: int = 100,
    assistants=(),
    owner: User | None = None,
    category: str = "",
    visit=None,
    holding=None,
) -> Opportunity:
    """A new opportunity in the first stage, owned by ``owner`` (the actor when an RM files
    it; the customer's primary RM when a head or admin does and names nobody)."""
    if not may_create_for(actor, customer):
        raise PermissionDenied
    if owner is None:
        owner = actor if actor.is_rm else customer.primary_rm or actor
    lines = list(lines)
    stage = Stage.objects.filter(is_final=False).order_by("order").first()
    amount, revenue = _totals(lines)
    opportunity = Opportunity(
        customer=customer,
        title=title,
        type=type,
        stage=stage,
        probability=stage.probability,
        reached_order=stage.order,
        amount=amount,
        expected_revenue=revenue,
        expected_close_on=expected_close_on,
        next_step=next_step,
        next_step_on=next_step_on,
        source=source,
        competitor=competitor,
        mode=mode,
        owner_share=owner_share,
        owner=owner,
        category=category or (lines[0][0].category if lines else ""),
        visit=visit,
        holding=holding,
        holding_matures_on=holding.matures_on if holding else None,
        created_by=actor,
    )
    opportunity.set_weighted()
    opportunity.save()
    _set_lines(opportunity, lines)
    OpportunityAssistant.objects.bulk_create(
        OpportunityAssistant(opportunity=opportunity, rm=rm, share=share)
        for rm, share in assistants
    )
    return opportunity


@transaction.atomic
def update_opportunity(
    *, actor: User, opportunity: Opportunity, changes: dict, lines=None, assistants=None
) -> Opportunity:
    """Change an opportunity's details (not its stage: see ``move_opportunity``). A later
    close date counts as a push; a new amount is recorded."""
    if not opportunity.editable_by(actor):
        raise PermissionDenied
    old_close, old_amount = opportunity.expected_close_on, opportunity.amount
    for name, value in changes.items():
        setattr(opportunity, name, value)
    if lines is not None:
        lines = list(lines)
        opportunity.amount, opportunity.expected_revenue = _totals(lines)
    now = timezone.now()
    events = []
    if opportunity.expected_close_on and old_close and opportunity.expected_close_on > old_close:
        opportunity.close_pushes += 1
        events.append(
            Change(
                opportunity=opportunity,
                kind=Change.Kind.CLOSE_PUSHED,
                at=now,
                actor=actor,
                old_value=str(old_close),
                new_value=str(opportunity.expected_close_on),
            )
        )
    if Decimal(opportunity.amount) != Decimal(old_amount):
        events.append(
            Change(
                opportunity=opportunity,
                kind=Change.Kind.AMOUNT_CHANGED,
                at=now,
                actor=actor,
                old_value=str(old_amount),
                new_value=str(opportunity.amount),
            )
        )
    opportunity.set_weighted()
    opportunity.save()
    if lines is not None:
        _set_lines(opportunity, lines)
    if assistants is not None:
        opportunity.assistants.all().delete()
        OpportunityAssistant.objects.bulk_create(
            OpportunityAssistant(opportunity=opportunity, rm=rm, share=share)
            for rm, share in assistants
        )
    Change.objects.bulk_create(events)
    return opportunity


class SuitabilityRefused(ValidationError):
    """The suitability gate refused a move: the message names the grade and the level."""


def move_opportunity(
    *,
    actor: User | None,
    opportunity: Opportunity,
    to: str,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
    today: date | None = None,
) -> Opportunity:
    """Move an opportunity to another stage through the platform's state machine.

    Rules: only the owner, a head or an admin moves it (``editable_by``); a final stage
    (won, lost) moves no more; entering a stage that checks suitability (from proposal on)
    needs every product line to suit the customer (``suitability_problems``): otherwise the
    move is refused, nothing changes and the refusal is recorded; "won" needs every line of
    a product sold with 双录 to be ticked as recorded; "lost" needs a reason, and "other" a
    note. Entering a stage sets its default probability. Winning plans a follow-up visit
    and a thank-you task due within 24 hours.
    """
    today = today or timezone.localdate()
    target = Stage.objects.filter(pk=to).first()
    if target is None:
        raise ValidationError({"stage": [_("Choose a stage from the list.")]})
    if actor is not None and not opportunity.editable_by(actor):
        raise PermissionDenied(_("Only the owner, a branch head or an admin moves it."))
    lines = list(opportunity.lines.select_related("product"))
    if target.checks_suitability:
        customer = Customer.objects.get(pk=opportunity.customer_id)
        problems = suitability_problems(customer, [line.product for line in lines], today)
        if problems:
            with transaction.atomic():
                SuitabilityRefusal.objects.bulk_create(
                    SuitabilityRefusal(
                        opportunity=opportunity,
                        actor=actor,
                        to_stage=target.code,
                        product=p.product,
                        customer_grade=customer.risk_grade,
                        assessed_on=customer.risk_assessed_on,
                        product_level=p.product.risk_level,
                        reason=p.reason,
                        message=p.message,
                    )
                    for p in problems
                )
            raise SuitabilityRefused({"stage": [p.message for p in problems]}, code="unsuitable")
    if target.is_won:
        missing = [
            line.product.name
            for line in lines
            if line.product.needs_dual_recording and not line.dual_recorded
        ]
        if missing:
            raise ValidationError(
                {
                    "stage": [
                        _("Tick the audio and video recording (双录) of %(products)s first.")
                        % {"products": "、".join(missing)}
                    ]
                }
            )
    if target.is_lost:
        if lost_reason is None:
            raise ValidationError({"lost_reason": [_("Say why it was lost.")]})
        if lost_reason.needs_note and not (lost_note or "").strip():
            raise ValidationError({"lost_note": [_("Say what happened.")]})
    source = Stage.objects.get(pk=opportunity.stage_id)
    with transaction.atomic():
        move(actor=actor, obj=opportunity, to=target.code)
        now = timezone.now()
        opportunity.probability = target.probability
        opportunity.stage_entered_at = now
        if target.is_final:
            opportunity.closed_at = now
            opportunity.cycle_days = (
                timezone.localdate(now) - timezone.localdate(opportunity.created_at)
            ).days
        if not target.is_lost and target.order > opportunity.reached_order:
            opportunity.reached_order = target.order
        if target.is_lost:
            opportunity.lost_reason = lost_reason
            opportunity.lost_note = lost_note
        opportunity.set_weighted()
        Opportunity.objects.filter(pk=opportunity.pk).update(
            probability=opportunity.probability,
            weighted_amount=opportunity.weighted_amount,
            stage_entered_at=now,
            closed_at=opportunity.closed_at,
            cycle_days=opportunity.cycle_days,
            reached_order=opportunity.reached_order,
            lost_reason=opportunity.lost_reason,
            lost_note=opportunity.lost_note,
            updated_at=now,
        )
        if target.is_won:
            kind = Change.Kind.WON
        elif target.is_lost:
            kind = Change.Kind.LOST
        elif target.order > source.order:
            kind = Change.Kind.ADVANCED
        else:
            kind = Change.Kind.MOVED_BACK
        Change.objects.create(
            opportunity=opportunity,
            kind=kind,
            at=now,
            actor=actor,
            old_value=source.code,
            new_value=target.code,
        )
        if target.is_won:
            _after_won(opportunity, now)
    return opportunity


def _after_won(opportunity: Opportunity, now: datetime):
    """A won deal: the customer is thanked within 24 hours and visited again."""
    Task.objects.get_or_create(
        opportunity=opportunity,
        kind=Task.Kind.THANK_YOU,
        defaults={"due_at": now + timedelta(hours=24)},
    )
    day = timezone.localdate(now) + timedelta(days=FOLLOW_UP_DAYS)
    start = timezone.make_aware(datetime.combine(day, time(FOLLOW_UP_HOUR)))
    Visit.objects.create(
        customer_id=opportunity.customer_id,
        rm_id=opportunity.owner_id,
        channel=Visit.Channel.ON_SITE,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        purpose=_("Follow-up after the deal: %(title)s") % {"title": opportunity.title},
    )


def finish_task(*, actor: User, task: Task):
    if not task.opportunity.editable_by(actor):
        raise PermissionDenied
    Task.objects.filter(pk=task.pk, done_at=None).update(done_at=timezone.now())

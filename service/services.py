"""Writes about tickets, their clock and care that touch more than one row."""

from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SEGMENT_LENGTH, Branch, User
from customers.models import AssetTier, Customer
from reminders.models import Reminder
from workflow.services import move

from .models import (
    LEVEL_OF_TIER,
    RETENTION_TIER,
    Gift,
    GiftPolicy,
    Rectification,
    ServiceLevel,
    Ticket,
    TicketAlert,
    TicketEvent,
    TicketExtension,
    TicketType,
    limit_for,
)
from .signals import retention_needed

RETENTION_VISIT_DAYS = 3
DELIVERY_BATCH = 5000
RETENTION_VISIT_HOUR = 10

# The reminder kind of each stage of the clock, and the "days ahead" it is filed with.
STAGE_KINDS = {
    TicketAlert.Stage.NEAR: "ticket_near_limit",
    TicketAlert.Stage.AT_LIMIT: "ticket_past_limit",
    TicketAlert.Stage.ESCALATED: "ticket_escalated",
    TicketAlert.Stage.ESCALATED_PARENT: "ticket_escalated",
}


# --- who may handle a ticket ----------------------------------------------------------------


def recusal_error(*, subject_rm, subject_unit, handler, handling_unit) -> str | None:
    """Rule (回避): a complaint about an RM or an outlet is not handled by that RM, nor by
    anyone of that outlet (or a unit under it), nor in that outlet. Returns the message that
    refuses it, in the user's language, or None."""
    if handler is not None and subject_rm is not None and handler.pk == subject_rm.pk:
        return _("The staff member complained about may not handle the complaint (recusal).")
    if subject_unit is not None:
        prefix = subject_unit.path
        if handler is not None and handler.branch_id is not None:
            branch = handler.branch
            if branch.path.startswith(prefix):
                return _(
                    "Staff of the outlet complained about may not handle the complaint (recusal)."
                )
        if handling_unit is not None and handling_unit.path.startswith(prefix):
            return _("The outlet complained about may not handle the complaint (recusal).")
    return None


def handler_error(*, ticket: Ticket, handler) -> str | None:
    """Rule: the handler is an active user who may see the ticket's customer (so that the
    ticket stays in their scope), and recusal holds for complaints."""
    if handler is None:
        return None
    if not handler.is_active:
        return _("This user's account is switched off.")
    if (
        ticket.customer_id
        and not Customer.objects.visible_to(handler).filter(pk=ticket.customer_id).exists()
    ):
        return _("This user cannot see the customer, so cannot handle the ticket.")
    if ticket.ticket_type == TicketType.COMPLAINT:
        return recusal_error(
            subject_rm=ticket.subject_rm,
            subject_unit=ticket.subject_unit,
            handler=handler,
            handling_unit=ticket.handling_unit if ticket.handling_unit_id else None,
        )
    return None


# --- the clock -----------------------------------------------------------------------------


def service_level_for(customer) -> str:
    """The level of service from the customer's asset tier (see ``LEVEL_OF_TIER``)."""
    if customer is None or customer.asset_tier_id is None:
        return ServiceLevel.STANDARD
    return LEVEL_OF_TIER.get(customer.asset_tier.code, ServiceLevel.STANDARD)


def first_due_at(ticket: Ticket) -> datetime:
    """Received at plus the answer days of its type and level, in calendar days."""
    limit = limit_for(ticket.ticket_type, ticket.service_level)
    return ticket.received_at + timedelta(days=limit.answer_days)


def needs_retention(customer) -> bool:
    if customer is None or customer.asset_tier_id is None:
        return False
    threshold = AssetTier.objects.filter(code=RETENTION_TIER).values_list("min_assets", flat=True)
    threshold = threshold.first()
    return threshold is not None and customer.asset_tier.min_assets >= threshold


@transaction.atomic
def create_ticket(*, actor: User, ticket: Ticket) -> Ticket:
    """Take a ticket: the level follows the customer's tier, the clock starts at receipt,
    the handler (the taker when none is named) is checked for scope and recusal, and a
    complaint from a customer at the wealth tier or above opens a retention follow-up.

    Rule: the customer, when named, is one the taker may see (the form and the API offer
    no other); a ticket without a customer names the person."""
    if ticket.customer_id and not (
        Customer.objects.visible_to(actor).active().filter(pk=ticket.customer_id).exists()
    ):
        raise PermissionDenied
    ticket.received_by = actor
    if ticket.customer_id:
        ticket.customer = Customer.objects.select_related("asset_tier", "primary_rm").get(
            pk=ticket.customer_id
        )
    ticket.service_level = service_level_for(ticket.customer if ticket.customer_id else None)
    if not ticket.handling_unit_id:
        ticket.handling_unit = (ticket.handler or actor).branch
    error = handler_error(ticket=ticket, handler=ticket.handler)
    if error:
        raise ValidationError({"handler": [error]})
    ticket.due_at = first_due_at(ticket)
    ticket.save()
    if ticket.is_complaint and ticket.customer_id and needs_retention(ticket.customer):
        open_retention(ticket=ticket)
    return ticket


def open_retention(*, ticket: Ticket) -> None:
    """Tell the modules that want to know (``signals.retention_needed``); when none takes it
    over, plan a visit for the primary RM in three days' time at 10:00."""
    from visits.models import Visit
    from visits.services import save_visit

    customer = ticket.customer
    answers = retention_needed.send(
        sender=Ticket, ticket=ticket, customer=customer, rm=customer.primary_rm
    )
    taken = [str(answer) for _receiver, answer in answers if answer]
    if taken:
        ticket.retention_by = taken[0][:50]
        ticket.save(update_fields=["retention_by"])
        return
    day = timezone.localdate() + timedelta(days=RETENTION_VISIT_DAYS)
    start = timezone.make_aware(datetime.combine(day, time(RETENTION_VISIT_HOUR)))
    visit = save_visit(
        actor=customer.primary_rm,
        visit=Visit(
            customer=customer,
            rm=customer.primary_rm,
            channel=Visit.Channel.ON_SITE,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            purpose=_("Retention after complaint #%(id)s") % {"id": ticket.pk},
        ),
    )
    ticket.retention_visit = visit
    ticket.retention_by = "visits"
    ticket.save(update_fields=["retention_visit", "retention_by"])


@transaction.atomic
def dispatch(*, actor: User, ticket: Ticket, handler: User, handling_unit=None) -> Ticket:
    """Send the ticket to a handler (派单); recusal and scope are checked first."""
    ticket.handler = handler
    ticket.handling_unit = handling_unit or handler.branch
    error = handler_error(ticket=ticket, handler=handler)
    if error:
        raise ValidationError({"handler": [error]})
    Ticket.objects.filter(pk=ticket.pk).update(handler=handler, handling_unit=ticket.handling_unit)
    move(actor=actor, obj=ticket, to=Ticket.State.DISPATCHED, handler=handler.username)
    return ticket


def close_errors(ticket: Ticket) -> dict:
    """Rule: a complaint is closed only with its cause class, whether it is justified and its
    root cause; a business cause also needs a rectification item."""
    errors = {}
    if ticket.is_complaint:
        if not ticket.cause_class:
            errors["cause_class"] = [_("A complaint is closed only with its cause class.")]
        if ticket.upheld is None:
            errors["upheld"] = [_("Say whether the complaint is justified.")]
        if not ticket.root_cause.strip():
            errors["root_cause"] = [_("A closed complaint needs its root cause.")]
        if ticket.cause_class == Ticket.CauseClass.BUSINESS and not ticket.rectifications.exists():
            errors["cause_class"] = [
                _("A complaint with a business cause needs a rectification item first.")
            ]
    return errors


@transaction.atomic
def move_ticket(*, actor: User, ticket: Ticket, to: str, note: str = "") -> Ticket:
    if to == Ticket.State.CLOSED:
        errors = close_errors(ticket)
        if errors:
            raise ValidationError(errors)
    move(actor=actor, obj=ticket, to=to, note=note)
    return ticket


@transaction.atomic
def log_event(*, actor: User, ticket: Ticket, kind: str, note: str = "") -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, kind=kind, note=note, by=actor)


@transaction.atomic
def add_rectification(*, actor: User, ticket: Ticket, action: str, owner, due_on):
    return Rectification.objects.create(ticket=ticket, action=action, owner=owner, due_on=due_on)


def finish_rectification(*, actor: User, rectification: Rectification) -> bool:
    return bool(
        Rectification.objects.filter(pk=rectification.pk, done_at__isnull=True).update(
            done_at=timezone.now()
        )
    )


def _apply_extension(ticket: Ticket, extension: TicketExtension, now) -> None:
    ticket.due_at = ticket.due_at + timedelta(days=extension.days)
    ticket.extensions = extension.number
    Ticket.objects.filter(pk=ticket.pk).update(due_at=ticket.due_at, extensions=extension.number)
    extension.applied_at = now
    extension.new_due_at = ticket.due_at
    extension.save(update_fields=["applied_at", "new_due_at"])


@transaction.atomic
def extend(*, actor: User, ticket: Ticket, reason: str, days=None, customer_notice: str = ""):
    """Extend the time limit.

    Rules: only a ticket whose clock runs is extended, and only with a reason. The first
    extension adds the limit's ``extension_days`` at once (to 30 days for a complaint). A
    second (at most ``second_extension_days`` more) is recorded as a request with the notice
    to the customer and applies only when a head approves it (``approve_extension``). There
    is no third.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not ticket.is_running:
        raise ValidationError({"reason": [_("Only a ticket still open can be extended.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("An extension needs a reason.")]})
    limit = limit_for(ticket.ticket_type, ticket.service_level)
    number = ticket.extension_rows.count() + 1
    now = timezone.now()
    if number == 1:
        if not limit.extension_days:
            raise ValidationError({"reason": [_("This kind of ticket cannot be extended.")]})
        extension = TicketExtension.objects.create(
            ticket=ticket,
            number=1,
            reason=reason,
            days=limit.extension_days,
            requested_by=actor,
            requested_at=now,
        )
        _apply_extension(ticket, extension, now)
        return extension
    if number == 2:
        if not limit.second_extension_days:
            raise ValidationError(
                {"reason": [_("This kind of ticket cannot be extended a second time.")]}
            )
        days = days or limit.second_extension_days
        if not 1 <= days <= limit.second_extension_days:
            raise ValidationError(
                {
                    "days": [
                        _("A second extension adds at most %(days)s days.")
                        % {"days": limit.second_extension_days}
                    ]
                }
            )
        if not customer_notice.strip():
            raise ValidationError(
                {"customer_notice": [_("A second extension needs the notice to the customer.")]}
            )
        return TicketExtension.objects.create(
            ticket=ticket,
            number=2,
            reason=reason,
            days=days,
            requested_by=actor,
            requested_at=now,
            customer_notice=customer_notice,
        )
    raise ValidationError({"reason": [_("A ticket is extended at most twice.")]})


def may_approve(user, ticket) -> bool:
    """Rule: a head (whose subtree holds the handling unit) or an admin approves a second
    extension; never the person who asked for it."""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    return user.is_head and ticket.handling_unit.path.startswith(user.branch.path)


@transaction.atomic
def approve_extension(*, actor: User, extension: TicketExtension) -> TicketExtension:
    """The head's recorded approval of a second extension: the limit moves, and the notice
    to the customer is logged on the ticket."""
    ticket = (
        Ticket.objects.select_for_update()
        .select_related("handling_unit")
        .get(pk=extension.ticket_id)
    )
    if not may_approve(actor, ticket) or actor.pk == extension.requested_by_id:
        raise PermissionDenied(_("Only a head may approve a second extension."))
    now = timezone.now()
    claimed = TicketExtension.objects.filter(pk=extension.pk, approved_at__isnull=True).update(
        approved_by=actor, approved_at=now
    )
    if not claimed:
        raise ValidationError({"extension": [_("This extension was already approved.")]})
    extension.refresh_from_db()
    if not ticket.is_running:
        raise ValidationError({"extension": [_("Only a ticket still open can be extended.")]})
    _apply_extension(ticket, extension, now)
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.NOTICE, note=extension.customer_notice, by=actor
    )
    return extension


def _ancestor_ids(branch_path: str) -> list[int]:
    """The branch itself and its ancestors, nearest first."""
    ids = [
        int(branch_path[i : i + SEGMENT_LENGTH - 1])
        for i in range(0, len(branch_path), SEGMENT_LENGTH)
    ]
    return list(reversed(ids))


def escalation_heads() -> dict[int, tuple[list[int], list[int]]]:
    """For each branch: the heads of the handling unit (the nearest branch upwards that has an
    active head) and those of its parent branch (the next one above with a head). Two small
    queries; the tree has tens of branches, not millions."""
    heads: dict[int, list[int]] = {}
    for user_id, branch_id in User.objects.filter(
        role=User.Role.HEAD, is_active=True, branch__isnull=False
    ).values_list("pk", "branch_id"):
        heads.setdefault(branch_id, []).append(user_id)
    result = {}
    for branch_id, path in Branch.objects.values_list("pk", "path"):
        found = [heads[b] for b in _ancestor_ids(path) if b in heads]
        result[branch_id] = (
            found[0] if found else [],
            found[1] if len(found) > 1 else [],
        )
    return result


def _stage_rows(stage, tickets, recipients_of) -> list[TicketAlert]:
    rows = []
    for ticket_id, deadline, handler_id, received_by_id, unit_id in tickets:
        for recipient in recipients_of(handler_id or received_by_id, unit_id):
            rows.append(
                TicketAlert(
                    ticket_id=ticket_id, stage=stage, deadline=deadline, recipient_id=recipient
                )
            )
    return rows


def run_ticket_clock(now=None) -> int:
    """Create the clock's alerts and escalations that are due at ``now``; return how many
    rows were inserted.

    Rules, for tickets whose clock runs (not answered yet), per type and level (admins'
    ``TimeLimit`` or the defaults):
    - ``alert_days`` before the limit and until it: the handler (the taker while nobody is
      dispatched) is alerted that it is near;
    - at the limit: the handler is told it is past;
    - a day after the limit: the heads of the handling unit (the nearest branch upwards
      with a head); ``escalate_again_days`` after the limit: the heads of its parent branch.
    Each alert is a row whose natural key (ticket, stage, limit, recipient) is unique:
    inserted with conflict-ignore, so a rerun, a retry or two runs at once create it once.
    An extension moves the limit, so the new limit gets its own alerts. Then the new rows
    are delivered (``deliver_alerts``).
    """
    now = now or timezone.now()
    before = TicketAlert.objects.count()
    heads = escalation_heads()

    def handler_only(user_id, unit_id):
        return [user_id] if user_id else []

    def unit_heads(user_id, unit_id):
        return heads.get(unit_id, ([], []))[0]

    def parent_heads(user_id, unit_id):
        return heads.get(unit_id, ([], []))[1]

    rows = []
    columns = ("pk", "due_at", "handler_id", "received_by_id", "handling_unit_id")
    for ticket_type in TicketType.values:
        for level in ServiceLevel.values:
            limit = limit_for(ticket_type, level)
            running = Ticket.objects.running().filter(ticket_type=ticket_type, service_level=level)
            near = running.filter(
                due_at__gt=now, due_at__lte=now + timedelta(days=limit.alert_days)
            ).values_list(*columns)
            rows += _stage_rows(TicketAlert.Stage.NEAR, near, handler_only)
            past = running.filter(due_at__lte=now)
            rows += _stage_rows(
                TicketAlert.Stage.AT_LIMIT, past.values_list(*columns), handler_only
            )
            rows += _stage_rows(
                TicketAlert.Stage.ESCALATED,
                past.filter(due_at__lte=now - timedelta(days=1)).values_list(*columns),
                unit_heads,
            )
            rows += _stage_rows(
                TicketAlert.Stage.ESCALATED_PARENT,
                past.filter(
                    due_at__lte=now - timedelta(days=max(limit.escalate_again_days, 1))
                ).values_list(*columns),
                parent_heads,
            )
    TicketAlert.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    deliver_alerts(now)
    return TicketAlert.objects.count() - before


def deliver_alerts(now=None) -> int:
    """Turn undelivered alerts into reminders (and WeCom messages for those who chose it).

    Each alert is claimed with a conditional UPDATE (``delivered_at`` still empty) before
    its reminder is written; the reminder's own unique key makes a repeat harmless too.
    A ticket without a customer has no reminder (a reminder belongs to a customer's file):
    its alerts are shown on the recipient's ticket list.
    """
    now = now or timezone.now()
    delivered = 0
    while True:
        batch = _deliver_batch(now)
        if not batch:
            return delivered
        delivered += batch


def _deliver_batch(now) -> int:
    """Claim up to a batch of undelivered alerts (rows another run holds are skipped), mark
    them delivered and write their reminders, in one transaction."""
    with transaction.atomic():
        pending = list(
            TicketAlert.objects.filter(delivered_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket")
            .order_by("pk")[:DELIVERY_BATCH]
        )
        if not pending:
            return 0
        TicketAlert.objects.filter(pk__in=[a.pk for a in pending]).update(delivered_at=now)
        _write_reminders(pending, now)
    return len(pending)


def _write_reminders(pending, now) -> None:
    today = timezone.localdate(now)
    reminders = []
    for alert in pending:
        if not alert.ticket.customer_id:
            continue
        due_on = timezone.localdate(alert.deadline)
        reminders.append(
            Reminder(
                kind=STAGE_KINDS[alert.stage],
                customer_id=alert.ticket.customer_id,
                subject_key=f"ticket:{alert.ticket_id}",
                due_on=due_on,
                lead_days=_lead_days(alert.stage, due_on, today),
                remind_on=today,
                recipient_id=alert.recipient_id,
            )
        )
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True)
    _urgent_deliveries(reminders, today)


def _lead_days(stage, due_on, today) -> int:
    """Days ahead of the limit for an alert before it; 0 at it; the parent branch's
    escalation is filed at -1 so that a head of both levels gets both."""
    if stage == TicketAlert.Stage.NEAR:
        return max((due_on - today).days, 0)
    return -1 if stage == TicketAlert.Stage.ESCALATED_PARENT else 0


def _urgent_deliveries(reminders, day) -> None:
    """An escalation also goes out at once on WeCom to a head who chose it."""
    from notifications.services import deliver_urgent_now

    escalations = [r for r in reminders if r.kind == "ticket_escalated"]
    if not escalations:
        return
    saved = Reminder.objects.filter(
        kind="ticket_escalated",
        subject_key__in={r.subject_key for r in escalations},
        recipient_id__in={r.recipient_id for r in escalations},
        remind_on=day,
    )
    deliver_urgent_now(saved, day)


# --- gifts ----------------------------------------------------------------------------------


@transaction.atomic
def record_gift(*, actor: User, gift: Gift, given: bool = False) -> Gift:
    """Record a gift, as given at once when its value is within the limit."""
    if not Customer.objects.visible_to(actor).filter(pk=gift.customer_id).exists():
        raise PermissionDenied
    gift.recorded_by = actor
    if given:
        if gift.needs_approval():
            raise ValidationError(
                {
                    "value": [
                        _(
                            "A gift worth more than %(limit)s CNY is given only after a "
                            "head has approved it."
                        )
                        % {"limit": GiftPolicy.current().approval_above}
                    ]
                }
            )
        gift.given_on = timezone.localdate()
    gift.save()
    return gift


@transaction.atomic
def approve_gift(*, actor: User, gift: Gift) -> Gift:
    """Rule: a head (in whose scope the customer is) or an admin approves; not the person
    who recorded it."""
    if not (actor.is_head or actor.is_admin) or actor.pk == gift.recorded_by_id:
        raise PermissionDenied(_("Only a head may approve a gift."))
    now = timezone.now()
    Gift.objects.filter(pk=gift.pk, approved_at__isnull=True).update(
        approved_by=actor, approved_at=now
    )
    gift.refresh_from_db()
    return gift


@transaction.atomic
def give_gift(*, actor: User, gift: Gift) -> Gift:
    """Mark a recorded gift as given. Rules: by whoever recorded it, a head or an admin;
    above the policy's limit, only once approved."""
    if not (gift.recorded_by_id == actor.pk or actor.is_head or actor.is_admin):
        raise PermissionDenied
    if gift.given_on is not None:
        return gift
    if gift.needs_approval() and gift.approved_at is None:
        raise ValidationError(
            {
                "value": [
                    _(
                        "A gift worth more than %(limit)s CNY is given only after a head has "
                        "approved it."
                    )
                    % {"limit": GiftPolicy.current().approval_above}
                ]
            }
        )
    Gift.objects.filter(pk=gift.pk, given_on__isnull=True).update(given_on=timezone.localdate())
    gift.refresh_from_db()
    return gift

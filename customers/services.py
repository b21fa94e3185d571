"""Writes to the customer archive that touch more than one row."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.models import User

from .models import Assignment, Customer, CustomerAssistant, SensitiveAccess
from .signals import customers_handed_over


def _open_assignment(customer, rm, role, *, actor, reason, at):
    return Assignment(
        customer=customer, rm=rm, role=role, started_at=at, reason=reason, changed_by=actor
    )


def _lock_in_scope(actor: User, pk: int) -> Customer:
    """The customer as stored, locked for the rest of the transaction, if ``actor`` can see
    it. Out of scope and missing are the same refusal."""
    customer = Customer.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
    if customer is None:
        raise PermissionDenied
    return customer


def _close_assignments(customer_ids, rm_ids, role, *, at):
    Assignment.objects.filter(
        customer_id__in=customer_ids, rm_id__in=rm_ids, role=role, ended_at__isnull=True
    ).update(ended_at=at)


@transaction.atomic
def save_customer(
    *,
    actor: User,
    customer: Customer,
    assistants: Iterable[User] | None,
    tags=None,
    reason: str = "",
) -> Customer:
    """Create or update a customer with its assisting RMs, keeping the assignment history.

    Rule: an existing file is changed only by someone who may edit it
    (``Customer.editable_by``), within their scope. Only a user who may choose RMs
    (``User.may_assign_rms``) files a customer for someone else or changes its primary RM,
    and only to an active RM in their scope; an RM files customers as their own.
    ``assistants=None`` leaves the assisting RMs as they are."""
    now = timezone.now()
    creating = customer.pk is None
    old_primary_id = None
    if not creating:
        stored = _lock_in_scope(actor, customer.pk)
        if not stored.editable_by(actor):
            raise PermissionDenied
        old_primary_id = stored.primary_rm_id
    if creating or old_primary_id != customer.primary_rm_id:
        if not actor.may_assign_rms:
            if customer.primary_rm_id != actor.pk:
                raise PermissionDenied
        elif not handover_targets(actor).filter(pk=customer.primary_rm_id).exists():
            raise ValidationError(
                {"primary_rm": _("Choose an active relationship manager in your scope.")}
            )
    customer.save()
    if tags is not None:
        customer.tags.set(tags)

    new_rows = []
    if creating or old_primary_id != customer.primary_rm_id:
        if old_primary_id:
            _close_assignments([customer.pk], [old_primary_id], Assignment.Role.PRIMARY, at=now)
        new_rows.append(
            _open_assignment(
                customer,
                customer.primary_rm,
                Assignment.Role.PRIMARY,
                actor=actor,
                reason=reason or (_("Opened") if creating else _("Changed on the customer file")),
                at=now,
            )
        )

    # A new primary RM on an existing file is a handover of one customer: the new RM stops
    # assisting and the customer's open reminders follow them (the same signal as hand_over).
    handed_over = not creating and old_primary_id != customer.primary_rm_id
    if assistants is None:
        if handed_over:
            _stop_assisting(customer, customer.primary_rm_id, at=now)
        Assignment.objects.bulk_create(new_rows)
        if handed_over:
            _announce_handover(customer, actor)
        return customer
    wanted = {rm.pk: rm for rm in assistants if rm.pk != customer.primary_rm_id}
    current = set(
        CustomerAssistant.objects.filter(customer=customer).values_list("rm_id", flat=True)
    )
    removed = current - wanted.keys()
    added = wanted.keys() - current
    if (removed or added) and not actor.may_assign_rms:
        raise PermissionDenied
    if removed:
        CustomerAssistant.objects.filter(customer=customer, rm_id__in=removed).delete()
        _close_assignments([customer.pk], removed, Assignment.Role.ASSISTING, at=now)
    CustomerAssistant.objects.bulk_create(
        [CustomerAssistant(customer=customer, rm_id=rm_id) for rm_id in added]
    )
    new_rows += [
        _open_assignment(
            customer, wanted[rm_id], Assignment.Role.ASSISTING, actor=actor, reason=reason, at=now
        )
        for rm_id in added
    ]
    Assignment.objects.bulk_create(new_rows)
    if handed_over:
        _announce_handover(customer, actor)
    return customer


def _stop_assisting(customer, rm_id, *, at):
    if CustomerAssistant.objects.filter(customer=customer, rm_id=rm_id).delete()[0]:
        _close_assignments([customer.pk], [rm_id], Assignment.Role.ASSISTING, at=at)


def _announce_handover(customer, actor):
    customers_handed_over.send(
        sender=Customer, customer_ids=[customer.pk], to_rm=customer.primary_rm, actor=actor
    )


def handover_targets(actor: User):
    """The RMs a user may hand customers to: active RMs they can see (all, for an admin)."""
    return User.objects.visible_to(actor).filter(role=User.Role.RM, is_active=True)


@transaction.atomic
def hand_over(*, actor: User, customer_ids: Iterable[int], to_rm: User, reason: str) -> list[int]:
    """Move customers to a new primary RM (客户移交).

    Rule: only a user who may hand over (``User.may_hand_over``: a branch head or an admin)
    does it; only customers they can see and that are not archived
    (``Customer.may_be_handed_over_by``); only to an active RM they can see. The customer
    moves to the new RM's branch; the old RM's period ends and the new one starts in the
    assignment history, with the reason. If the new RM was assisting, they stop assisting.
    Returns the ids of the customers that moved (those already with ``to_rm`` do not).
    """
    if not actor.may_hand_over:
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the handover.")})
    if not handover_targets(actor).filter(pk=to_rm.pk).exists():
        raise ValidationError({"to_rm": _("Choose an active relationship manager in your scope.")})
    customers = [
        customer
        for customer in Customer.objects.visible_to(actor)
        .filter(pk__in=list(customer_ids))
        .exclude(primary_rm=to_rm)
        .order_by("pk")
        .select_for_update()
        if customer.may_be_handed_over_by(actor)
    ]
    if not customers:
        return []
    now = timezone.now()
    ids = [c.pk for c in customers]
    previous = {(c.pk, c.primary_rm_id) for c in customers}
    for customer_id, rm_id in previous:
        _close_assignments([customer_id], [rm_id], Assignment.Role.PRIMARY, at=now)
    was_assisting = set(
        CustomerAssistant.objects.filter(customer_id__in=ids, rm=to_rm).values_list(
            "customer_id", flat=True
        )
    )
    if was_assisting:
        CustomerAssistant.objects.filter(customer_id__in=was_assisting, rm=to_rm).delete()
        _close_assignments(was_assisting, [to_rm.pk], Assignment.Role.ASSISTING, at=now)
    for customer in customers:
        customer.primary_rm = to_rm
        customer.branch_id = to_rm.branch_id
        customer.updated_at = now
    bulk_update_with_history(
        customers,
        Customer,
        ["primary_rm", "branch", "updated_at"],
        default_user=actor,
        default_change_reason=reason,
    )
    Assignment.objects.bulk_create(
        [
            _open_assignment(c, to_rm, Assignment.Role.PRIMARY, actor=actor, reason=reason, at=now)
            for c in customers
        ]
    )
    customers_handed_over.send(sender=Customer, customer_ids=ids, to_rm=to_rm, actor=actor)
    return ids


@transaction.atomic
def archive(*, actor: User, customer: Customer) -> Customer:
    """Hide a customer from lists, search, exports and everyone but admins.

    Rule: ``Customer.archivable_by`` (a branch head or an admin, a file not yet archived),
    within the actor's scope. The row is locked and read again, so two clicks archive once."""
    stored = _lock_in_scope(actor, customer.pk)
    if not stored.archivable_by(actor):
        raise PermissionDenied
    stored.archived_at = timezone.now()
    stored._change_reason = _("Archived")
    stored._history_user = actor
    stored.save(update_fields=["archived_at", "updated_at"])
    return stored


@transaction.atomic
def restore(*, actor: User, customer: Customer) -> Customer:
    """Bring an archived customer back. Rule: ``Customer.restorable_by`` (an admin)."""
    stored = _lock_in_scope(actor, customer.pk)
    if not stored.restorable_by(actor):
        raise PermissionDenied
    stored.archived_at = None
    stored._change_reason = _("Restored")
    stored._history_user = actor
    stored.save(update_fields=["archived_at", "updated_at"])
    return stored


@transaction.atomic
def delete_customer(*, actor: User, customer: Customer, confirmation: str) -> None:
    """Delete a file for good, with its holdings, balances and relations.

    Rule: ``Customer.deletable_by`` (an admin), within scope, and only when
    ``confirmation`` is the customer number, typed. The change history is kept."""
    stored = _lock_in_scope(actor, customer.pk)
    if not stored.deletable_by(actor):
        raise PermissionDenied
    if (confirmation or "").strip() != stored.customer_no:
        raise ValidationError(
            {"confirm": _("Type the customer number exactly to confirm.")}, code="confirm"
        )
    stored._change_reason = _("Deleted by an admin")
    stored._history_user = actor
    stored.delete()


def record_sensitive_view(*, user: User, customer: Customer) -> None:
    SensitiveAccess.objects.create(user=user, customer=customer, action=SensitiveAccess.Action.VIEW)


def record_export(*, user: User, filters: dict, row_count: int) -> None:
    SensitiveAccess.objects.create(
        user=user,
        action=SensitiveAccess.Action.EXPORT,
        detail={"filters": filters, "rows": row_count},
    )

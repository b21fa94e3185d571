"""Writes to the customer archive that touch more than one row."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.models import User

from . import validators
from .models import Assignment, Customer, CustomerAssistant, SensitiveAccess
from .signals import customers_handed_over


def _open_assignment(customer, rm, role, *, actor, reason, at):
    return Assignment(
        customer=customer, rm=rm, role=role, started_at=at, reason=reason, changed_by=actor
    )


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

    ``assistants=None`` leaves the assisting RMs as they are."""
    now = timezone.now()
    creating = customer.pk is None
    old_primary_id = None
    if not creating:
        old_primary_id = Customer.objects.values_list("primary_rm_id", flat=True).get(
            pk=customer.pk
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

    if assistants is None:
        Assignment.objects.bulk_create(new_rows)
        return customer
    wanted = {rm.pk: rm for rm in assistants if rm.pk != customer.primary_rm_id}
    current = set(
        CustomerAssistant.objects.filter(customer=customer).values_list("rm_id", flat=True)
    )
    removed = current - wanted.keys()
    added = wanted.keys() - current
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
    return customer


def check_id_number(*, id_type: str, id_number: str, exclude_pk=None) -> str:
    """The ID number in its one stored spelling, checked: a resident ID or a unified social
    credit code must carry a right check character, and no other customer in the archive may
    have it. The refusal never says whose customer it is: the other file may be out of the
    user's scope. Raises ValidationError."""
    normalise = validators.ID_NORMALISERS.get(id_type)
    if normalise:
        id_number = normalise(id_number)
    taken = Customer.objects.filter(id_type=id_type, id_number=id_number)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            _(
                "A customer with this ID number is already in the archive. "
                "Ask your branch head or an admin to find the existing file."
            ),
            code="taken",
        )
    return id_number


def handover_targets(actor: User):
    """The RMs a user may hand customers to: active RMs they can see (all, for an admin)."""
    return User.objects.visible_to(actor).filter(role=User.Role.RM, is_active=True)


@transaction.atomic
def hand_over(*, actor: User, customer_ids: Iterable[int], to_rm: User, reason: str) -> int:
    """Move customers to a new primary RM (客户移交).

    Rule: only a branch head or an admin hands over; only customers they can see; only to an
    active RM they can see. The customer moves to the new RM's branch; the old RM's period
    ends and the new one starts in the assignment history, with the reason. If the new RM was
    assisting, they stop assisting. Returns how many customers moved.
    """
    if not (actor.is_head or actor.is_admin):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the handover.")})
    if not handover_targets(actor).filter(pk=to_rm.pk).exists():
        raise ValidationError({"to_rm": _("Choose an active relationship manager in your scope.")})
    customers = list(
        Customer.objects.visible_to(actor)
        .active()
        .filter(pk__in=list(customer_ids))
        .exclude(primary_rm=to_rm)
        .select_for_update()
    )
    if not customers:
        return 0
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
    return len(customers)


@transaction.atomic
def archive(*, actor: User, customer: Customer) -> None:
    customer.archived_at = timezone.now()
    customer._change_reason = _("Archived")
    customer.save(update_fields=["archived_at", "updated_at"])


@transaction.atomic
def restore(*, actor: User, customer: Customer) -> None:
    if not actor.is_admin:
        raise PermissionDenied
    customer.archived_at = None
    customer._change_reason = _("Restored")
    customer.save(update_fields=["archived_at", "updated_at"])


def record_sensitive_view(*, user: User, customer: Customer) -> None:
    SensitiveAccess.objects.create(user=user, customer=customer, action=SensitiveAccess.Action.VIEW)


def record_export(*, user: User, filters: dict, row_count: int) -> None:
    SensitiveAccess.objects.create(
        user=user,
        action=SensitiveAccess.Action.EXPORT,
        detail={"filters": filters, "rows": row_count},
    )

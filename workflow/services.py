from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .machine import StateMachine
from .models import StateChange


def move(*, actor, obj, to, **why) -> StateChange:
    """Move ``obj`` to the state ``to``: the one way a record's state changes.

    Rules:
    - the move from the record's state to ``to`` must be listed in the model's
      ``StateMachine``; any other move is refused with a ValidationError;
    - the actor must be allowed to make it (``Transition.may``; an inactive or anonymous user
      never is; ``actor=None``, a scheduled job, only for moves marked ``by_system``),
      otherwise PermissionDenied (403);
    - the record moves only if it is still in the state the caller saw: the UPDATE is
      conditional on it (``filter(pk=…, state=from).update(state=to)``), so two clicks or
      two workers never move one record twice: the second gets a ValidationError saying the
      record was already moved, and nothing is written;
    - the move and its history row (who, when, from, to, ``why``) are written in one
      transaction: there is never one without the other.

    ``why`` is stored as JSON (e.g. ``note="客户已签约"``). Returns the history row and sets the
    new state on ``obj``. Scope (may the actor see the record at all, 404 otherwise) is the
    view's business, through the model's ``visible_to``.
    """
    machine = StateMachine.of(type(obj))
    source = str(getattr(obj, machine.field))
    target = str(to)
    labels = {"source": machine.label(source), "target": machine.label(target)}
    transition = machine.transition(source, target)
    if transition is None:
        raise ValidationError(
            _("This record cannot go from “%(source)s” to “%(target)s”."),
            code="invalid_move",
            params=labels,
        )
    if not machine.permits(transition, actor, obj):
        raise PermissionDenied(
            _("You may not move this record from “%(source)s” to “%(target)s”.") % labels
        )
    now = timezone.now()
    changes = {machine.field: target}
    if target in machine.stamps:
        changes[machine.stamps[target]] = now
    model = type(obj)
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    with transaction.atomic():
        moved = model._base_manager.filter(pk=obj.pk, **{machine.field: source}).update(**changes)
        if not moved:
            current = model._base_manager.filter(pk=obj.pk).values_list(machine.field, flat=True)
            state = current.first()
            raise ValidationError(
                _(
                    "This record was already moved by someone else (it is now “%(state)s”). "
                    "Reload the page to see it."
                )
                if state is not None
                else _("This record no longer exists."),
                code="stale",
                params={"state": machine.label(state)},
            )
        change = StateChange.objects.create(
            content_type=content_type,
            object_id=obj.pk,
            from_state=source,
            to_state=target,
            actor=actor,
            at=now,
            why=why,
        )
    for name, value in changes.items():
        setattr(obj, name, value)
    return change

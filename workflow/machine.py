"""States and the moves allowed between them, written as data on the model.

::

    class Complaint(models.Model):
        class State(models.TextChoices):
            OPEN = "open", _("Open")
            HANDLING = "handling", _("Being handled")
            CLOSED = "closed", _("Closed")

        state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
        closed_at = models.DateTimeField(null=True, blank=True)

        workflow = StateMachine(
            field="state",
            transitions=[
                Transition(State.OPEN, State.HANDLING, may=is_owner),
                Transition([State.OPEN, State.HANDLING], State.CLOSED, may=is_head),
                Transition(State.HANDLING, State.OPEN, by_system=True),  # a job reopens it
            ],
            stamps={State.CLOSED: "closed_at"},
        )

The state field is changed only by ``workflow.services.move``; forms and serializers leave it
out (or read-only).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


def nobody(actor, obj) -> bool:
    return False


@dataclass(frozen=True)
class Transition:
    """From ``source`` (one state or several) to ``target``. ``may(actor, obj)`` says whether
    an active user may make this move on this record; ``by_system`` whether a scheduled job
    (``actor=None``) may. A move that is not listed is not allowed to anybody."""

    source: str | Iterable[str]
    target: str
    may: Callable = nobody
    by_system: bool = False

    @property
    def sources(self) -> tuple[str, ...]:
        if isinstance(self.source, str):
            return (self.source,)
        return tuple(self.source)


class StateMachine:
    """The allowed moves of one model's state field. Put it on the model as a class attribute
    (any name); ``StateMachine.of(Model)`` finds it."""

    def __init__(self, *, field: str, transitions: Iterable[Transition], stamps=None):
        self.field = field
        self.stamps = dict(stamps or {})
        self.transitions: dict[tuple[str, str], Transition] = {}
        for transition in transitions:
            for source in transition.sources:
                key = (str(source), str(transition.target))
                if key in self.transitions or key[0] == key[1]:
                    raise ImproperlyConfigured(
                        f"{field}: the move {key} is listed twice or is no move"
                    )
                self.transitions[key] = transition
        self.model = None

    def contribute_to_class(self, cls, name):
        self.model = cls
        setattr(cls, name, self)

    @staticmethod
    def of(model) -> "StateMachine":
        for value in vars(model).values():
            if isinstance(value, StateMachine):
                return value
        for base in model.__mro__[1:]:
            for value in vars(base).values():
                if isinstance(value, StateMachine):
                    return value
        raise ImproperlyConfigured(f"{model.__name__} has no StateMachine")

    def transition(self, source, target) -> Transition | None:
        return self.transitions.get((str(source), str(target)))

    def permits(self, transition: Transition, actor, obj) -> bool:
        """Rule: a scheduled job (no actor) makes only the moves marked ``by_system``; a
        person must be logged in and active, and the move's ``may`` must say yes."""
        if actor is None:
            return transition.by_system
        if not actor.is_authenticated or not actor.is_active:
            return False
        return bool(transition.may(actor, obj))

    def targets_for(self, actor, obj) -> list[str]:
        """The states ``actor`` may move ``obj`` to from its current state (for the buttons
        a page shows); ``move`` checks again."""
        source = str(getattr(obj, self.field))
        return [
            target
            for (start, target), transition in self.transitions.items()
            if start == source and self.permits(transition, actor, obj)
        ]

    def label(self, state) -> str:
        """The state as users read it (the choice's label), or the raw value."""
        field = self.model._meta.get_field(self.field)
        return str(dict(field.flatchoices).get(state, state))

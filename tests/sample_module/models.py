from django.db import models

from customers.models import Customer
from customers.scoping import CustomerScopedQuerySet
from workflow.machine import StateMachine, Transition


def is_the_customers_rm(actor, ticket) -> bool:
    return ticket.customer.primary_rm_id == actor.pk


def heads_the_branch(actor, ticket) -> bool:
    if actor.is_admin:
        return True
    return actor.is_head and ticket.customer.branch.path.startswith(actor.branch.path)


class Ticket(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        HANDLING = "handling", "Being handled"
        CLOSED = "closed", "Closed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = CustomerScopedQuerySet.as_manager()
    workflow = StateMachine(
        field="state",
        transitions=[
            Transition(State.OPEN, State.HANDLING, may=is_the_customers_rm),
            Transition([State.OPEN, State.HANDLING], State.CLOSED, may=heads_the_branch),
            Transition(State.HANDLING, State.OPEN, by_system=True),
        ],
        stamps={State.CLOSED: "closed_at"},
    )

    def __str__(self):
        return f"ticket {self.pk} ({self.state})"


class VisitNote(models.Model):
    """Hangs off a customer through a visit: ``customer_field`` is a path."""

    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, related_name="+")

    class Scoped(CustomerScopedQuerySet):
        customer_field = "visit__customer"

    objects = Scoped.as_manager()

    def __str__(self):
        return f"note {self.pk}"

"""What the service module adds to the composed pages: the service panel of the 360 page
(tickets, care actions, gifts) and the tickets nearest their limit on the RM's home page."""

from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from customers.models import Customer
from home.registry import CUSTOMER_360, RM_HOME, register_panel

from .models import CareAction, CareBudget, Gift, Ticket

CUSTOMER_ROWS = 5
HOME_ROWS = 5


def _total(model, field, **when):
    """The sum of ``field`` over the customer's rows of ``model``, as a subquery."""
    return (
        model.objects.filter(customer=OuterRef("pk"), **when)
        .order_by()
        .values("customer")
        .annotate(total=Sum(field))
        .values("total")
    )


@register_panel(
    key="service-customer", slot=CUSTOMER_360, template="service/panels/customer.html", order=60
)
def customer_service(user, *, customer):
    """The customer's latest tickets, care actions and gifts, and this year's care spending
    against the budget of the customer's tier: four queries. The 360 page has checked that
    the user sees the customer; whoever sees a customer sees these."""
    year = timezone.localdate().year
    spending = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            care_budget=Subquery(
                CareBudget.objects.filter(year=year, tier_id=OuterRef("asset_tier_id")).values(
                    "amount"
                )[:1]
            ),
            gift_total=Subquery(_total(Gift, "value", given_on__year=year)),
            care_total=Subquery(_total(CareAction, "cost", done_on__year=year)),
        )
        .values("care_budget", "gift_total", "care_total")
        .first()
    )
    return {
        "budget": spending["care_budget"],
        "spent": (spending["gift_total"] or 0) + (spending["care_total"] or 0),
        "year": year,
        "tickets": list(
            Ticket.objects.filter(customer=customer)
            .select_related("handler", "retention_visit")
            .order_by("-received_at", "-id")[:CUSTOMER_ROWS]
        ),
        "care_actions": list(
            CareAction.objects.filter(customer=customer)
            .select_related("by")
            .order_by("-done_on", "-id")[:CUSTOMER_ROWS]
        ),
        "gifts": list(
            Gift.objects.filter(customer=customer).order_by("-recorded_at", "-id")[:CUSTOMER_ROWS]
        ),
        "customer": customer,
    }


@register_panel(
    key="service-my-tickets",
    slot=RM_HOME,
    template="service/panels/home.html",
    roles={"rm"},
    order=60,
)
def my_tickets(user):
    """The user's open tickets nearest their limit: one query."""
    return {
        "tickets": list(
            Ticket.objects.visible_to(user)
            .filter(handler=user, state__in=Ticket.RUNNING_STATES)
            .select_related("customer")
            .order_by("due_at", "id")[:HOME_ROWS]
        )
    }

"""What the service module adds to the composed pages: the service panel of the 360 page
(tickets, care actions, gifts) and the tickets nearest their limit on the RM's home page."""

from django.db.models import Sum
from django.utils import timezone

from home.registry import CUSTOMER_360, RM_HOME, register_panel

from .models import CareAction, CareBudget, Gift, Ticket

CUSTOMER_ROWS = 5
HOME_ROWS = 5


@register_panel(
    key="service-customer", slot=CUSTOMER_360, template="service/panels/customer.html", order=60
)
def customer_service(user, *, customer):
    """The customer's latest tickets, care actions and gifts, and this year's care spending
    against the budget of the customer's tier: six queries. The 360 page has checked that
    the user sees the customer; whoever sees a customer sees these."""
    year = timezone.localdate().year
    budget = (
        CareBudget.objects.filter(year=year, tier_id=customer.asset_tier_id)
        .values_list("amount", flat=True)
        .first()
    )
    gifts = Gift.objects.filter(customer=customer, given_on__year=year).aggregate(s=Sum("value"))
    care = CareAction.objects.filter(customer=customer, done_on__year=year).aggregate(s=Sum("cost"))
    return {
        "budget": budget,
        "spent": (gifts["s"] or 0) + (care["s"] or 0),
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

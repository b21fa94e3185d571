"""What the customer archive puts on a user's home page."""

from datetime import timedelta

from .birthdays import birthday_between_q, next_birthday
from .models import Customer, Holding

BIRTHDAY_DAYS = 7
MATURITY_DAYS = 30
PANEL_ROWS = 10


def home_panels(user, today) -> dict:
    """Coming birthdays and maturities among the user's customers: two queries, at most ten
    rows each, soonest first."""
    customers = Customer.objects.visible_to(user).active()
    # No ORDER BY: the window's few matches are found through the birthday indexes and put
    # in order here (an ORDER BY birth_md made PostgreSQL walk that whole index at 1 M rows).
    birthdays = list(
        customers.filter(birthday_between_q(today, today + timedelta(days=BIRTHDAY_DAYS)))
        .only("id", "name", "birth_date", "lunar_birthday")
        .order_by()
    )
    for customer in birthdays:
        customer.next_birthday = next_birthday(customer.birth_date, customer.lunar_birthday, today)
    birthdays.sort(key=lambda c: (c.next_birthday, c.pk))
    maturing = list(
        Holding.objects.filter(
            customer__in=customers,
            status=Holding.Status.ACTIVE,
            matures_on__gte=today,
            matures_on__lte=today + timedelta(days=MATURITY_DAYS),
        )
        .select_related("customer", "product")
        .order_by("matures_on", "id")[:PANEL_ROWS]
    )
    return {
        "birthdays": birthdays[:PANEL_ROWS],
        "maturing": maturing,
        "birthday_days": BIRTHDAY_DAYS,
        "maturity_days": MATURITY_DAYS,
    }

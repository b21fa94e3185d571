"""What the customer archive adds to the composed pages: coming birthdays and maturities on
the RM home, the archive's shortcuts on the admin home."""

from datetime import timedelta

from django.utils import timezone

from home.registry import ADMIN_HOME, RM_HOME, register_panel

from .birthdays import birthday_between_q, next_birthday
from .models import Customer, Holding

BIRTHDAY_DAYS = 7
MATURITY_DAYS = 30
PANEL_ROWS = 10


@register_panel(
    key="customers-birthdays",
    slot=RM_HOME,
    template="customers/panels/birthdays.html",
    roles={"rm"},
    order=30,
)
def coming_birthdays(user):
    """Birthdays among the user's customers in the next 7 days, soonest first: one query,
    at most ten rows."""
    today = timezone.localdate()
    # No ORDER BY: the window's few matches are found through the birthday indexes and put
    # in order here (an ORDER BY birth_md made PostgreSQL walk that whole index at 1 M rows).
    birthdays = list(
        Customer.objects.visible_to(user)
        .active()
        .filter(birthday_between_q(today, today + timedelta(days=BIRTHDAY_DAYS)))
        .only("id", "name", "birth_date", "lunar_birthday")
        .order_by()
    )
    for customer in birthdays:
        customer.next_birthday = next_birthday(customer.birth_date, customer.lunar_birthday, today)
    birthdays.sort(key=lambda c: (c.next_birthday, c.pk))
    return {"birthdays": birthdays[:PANEL_ROWS], "birthday_days": BIRTHDAY_DAYS}


@register_panel(
    key="customers-maturing",
    slot=RM_HOME,
    template="customers/panels/maturing.html",
    roles={"rm"},
    order=40,
)
def maturing_soon(user):
    """Active holdings of the user's customers maturing in the next 30 days, soonest first:
    one query, at most ten rows."""
    today = timezone.localdate()
    maturing = list(
        Holding.objects.filter(
            customer__in=Customer.objects.visible_to(user).active(),
            status=Holding.Status.ACTIVE,
            matures_on__gte=today,
            matures_on__lte=today + timedelta(days=MATURITY_DAYS),
        )
        .select_related("customer", "product")
        .order_by("matures_on", "id")[:PANEL_ROWS]
    )
    return {"maturing": maturing, "maturity_days": MATURITY_DAYS}


@register_panel(
    key="customers-archive",
    slot=ADMIN_HOME,
    template="customers/panels/archive_links.html",
    roles={"admin"},
    order=20,
)
def archive_links(user):
    """Shortcuts into the archive and its import: no query."""
    return {}

"""What reminders add to the composed pages: today's reminders on the RM home, the
customer's open reminders on the 360 page."""

from django.utils import timezone

from home.registry import CUSTOMER_360, RM_HOME, register_panel

from .views import inbox_reminders

HOME_REMINDER_ROWS = 10
CUSTOMER_REMINDER_ROWS = 10


@register_panel(
    key="reminders-today",
    slot=RM_HOME,
    template="reminders/panels/today.html",
    roles={"rm"},
    order=20,
)
def todays_reminders(user):
    """The user's reminders whose day has come, newest first: one query, at most ten."""
    today = timezone.localdate()
    return {
        "reminders_today": list(
            inbox_reminders(user, today).order_by("-remind_on", "kind", "id")[:HOME_REMINDER_ROWS]
        )
    }


@register_panel(
    key="reminders-customer",
    slot=CUSTOMER_360,
    template="reminders/panels/customer.html",
    order=50,
)
def customer_reminders(user, *, customer):
    """The user's own reminders about this customer whose day has come (the inbox's rule,
    narrowed to the customer), newest first: one query, at most ten."""
    today = timezone.localdate()
    return {
        "customer_reminders": list(
            inbox_reminders(user, today)
            .filter(customer=customer)
            .order_by("-remind_on", "kind", "id")[:CUSTOMER_REMINDER_ROWS]
        )
    }

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

from .models import Reminder


def unread_count(user):
    """Reminders whose day has come that the user has not opened yet: one COUNT."""
    return (
        Reminder.objects.visible_to(user)
        .due(timezone.localdate())
        .filter(read_at__isnull=True)
        .count()
    )


register_nav_entry(
    url_name="reminders-inbox",
    label=_("Reminders"),
    roles={"rm"},
    order=40,
    badge=unread_count,
    module=__name__,
)

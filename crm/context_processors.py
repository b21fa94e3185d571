from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

# What each role finds in the navigation. An entry whose page a later module has not yet
# added is shown greyed out rather than as a broken link.
NAVIGATION = {
    User.Role.RM: [
        ("home", _("My day")),
        ("customers-list", _("Customers")),
        ("visits-calendar", _("Visits")),
        ("reminders-inbox", _("Reminders")),
    ],
    User.Role.HEAD: [
        ("home", _("Overview")),
        ("accounts-users", _("Team")),
        ("customers-list", _("Customers")),
        ("opportunities-pipeline", _("Pipeline")),
        ("reports-index", _("Reports")),
    ],
    User.Role.ADMIN: [
        ("home", _("Overview")),
        ("customers-list", _("Archive")),
        ("customers-import", _("Import")),
        ("accounts-users", _("Users")),
        ("accounts-branches", _("Branches")),
    ],
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request.resolver_match, "url_name", None)
    items = []
    for url_name, label in NAVIGATION.get(user.role, []):
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            url = None
        items.append({"name": url_name, "label": label, "url": url, "active": url_name == current})
    # Only roles whose navigation shows the inbox pay for counting it.
    shows_inbox = any(item["name"] == "reminders-inbox" and item["url"] for item in items)
    return {"nav_items": items, "unread_reminders": _unread_reminders(user) if shows_inbox else 0}


def _unread_reminders(user):
    from reminders.models import Reminder

    return (
        Reminder.objects.visible_to(user)
        .due(timezone.localdate())
        .filter(read_at__isnull=True)
        .count()
    )


# What the language switch shows: each language in its own name, never translated
# (``{% get_available_languages %}`` translates them: English read 英语 in Chinese).
OWN_NAMES = {"zh-hans": "中文", "en": "English"}


def language_choices(request):
    return {
        "language_choices": [(code, OWN_NAMES.get(code, name)) for code, name in settings.LANGUAGES]
    }

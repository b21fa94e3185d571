from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class WatchlistsConfig(AppConfig):
    name = "watchlists"
    verbose_name = _("Risk warnings")

    def ready(self):
        from . import (  # noqa: F401 - the checklist and the kinds
            extras,
            job_kinds,  # noqa: F401 - the risk data import as a job
            reminder_kinds,
        )

        if apps.is_installed("notifications"):
            # "Escalated to you" goes out at once in WeCom for those who chose it.
            from notifications.services import URGENT_LEADS

            URGENT_LEADS.setdefault(reminder_kinds.ESCALATED_KIND, 0)

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class WatchlistsConfig(AppConfig):
    name = "watchlists"
    verbose_name = _("Risk warnings")

    def ready(self):
        # The checklist on the visit outcome, the reminder kinds, the demo seeder and the
        # risk data import as a job: each registers itself with its platform registry.
        # The nightly rules, check schedule and escalation, before the 07:00 reminders.
        from celery.schedules import crontab

        from crm.celery import app

        from . import demo, extras, job_kinds, reminder_kinds  # noqa: F401

        app.conf.beat_schedule.setdefault(
            "watchlists-nightly",
            {"task": "watchlists.tasks.nightly", "schedule": crontab(hour=5, minute=30)},
        )
        app.conf.beat_schedule.setdefault(
            "watchlists-board",
            {"task": "watchlists.tasks.refresh_board", "schedule": crontab(minute="*/15")},
        )

        if apps.is_installed("notifications"):
            # "Escalated to you" goes out at once in WeCom for those who chose it.
            from notifications.services import URGENT_LEADS

            URGENT_LEADS.setdefault(reminder_kinds.ESCALATED_KIND, 0)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service and care")

    def ready(self):
        from celery.schedules import crontab

        from crm.celery import app

        from . import demo, reminder_kinds  # noqa: F401

        # The complaint clock runs every quarter of an hour; a run finds what is due with one
        # query per stage and inserts each alert once (see services.run_ticket_clock).
        app.conf.beat_schedule.setdefault(
            "service-ticket-clock",
            {"task": "service.tasks.run_ticket_clock", "schedule": crontab(minute="*/15")},
        )

"""The Celery app, and the one place where periodic tasks are declared.

Beat runs with django-celery-beat's database scheduler, which copies ``beat_schedule`` into
its tables at start; admins can then pause or reschedule an entry in the Django admin.
Enqueue from request code with ``task.delay_on_commit(...)`` so a task never runs against a
transaction that rolled back or has not committed yet.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    "generate-reminders": {
        "task": "reminders.tasks.generate_daily_reminders",
        # Read from the environment, not settings: this module loads while settings do.
        "schedule": crontab(hour=int(os.environ.get("REMINDERS_HOUR", "7")), minute=0),
    },
    "send-digests": {
        "task": "reminders.tasks.send_daily_digests",
        "schedule": crontab(
            hour=int(os.environ.get("REMINDERS_HOUR", "7")),
            minute=int(os.environ.get("DIGEST_MINUTE", "30")),
        ),
    },
    "send-wecom-notifications": {
        "task": "notifications.tasks.send_morning_notifications",
        # Five minutes after the email digests.
        "schedule": crontab(
            hour=int(os.environ.get("REMINDERS_HOUR", "7")),
            minute=min(int(os.environ.get("DIGEST_MINUTE", "30")) + 5, 59),
        ),
    },
    "retry-waiting-deliveries": {
        "task": "notifications.tasks.retry_waiting_deliveries",
        "schedule": crontab(minute="*/10"),
    },
    "recompute-tiers": {
        "task": "customers.tasks.recompute_tiers_for_last_month",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
    "fail-stale-jobs": {
        "task": "jobs.tasks.fail_stale_jobs",
        "schedule": crontab(minute="*"),
    },
    "opportunities-maturities": {
        "task": "opportunities.tasks.create_maturity_opportunities",
        "schedule": crontab(hour=2, minute=30),
    },
    "opportunities-suggestions": {
        "task": "opportunities.tasks.compute_suggestions",
        "schedule": crontab(hour=2, minute=40),
    },
    "opportunities-pipeline": {
        "task": "opportunities.tasks.snapshot_pipeline",
        "schedule": crontab(hour=2, minute=50),
    },
    "delete-expired-job-files": {
        "task": "jobs.tasks.delete_expired_job_files",
        "schedule": crontab(hour=3, minute=45),
    },
    "delete-old-task-failures": {
        "task": "ops.tasks.delete_old_task_failures",
        "schedule": crontab(hour=3, minute=50),
    },
}

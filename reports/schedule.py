"""The reports' periodic tasks, added to the project's beat schedule when the app loads (an
uninstalled app schedules nothing)."""

from celery.schedules import crontab

from crm.celery import app

app.conf.beat_schedule.update(
    {
        "reports-snapshots": {
            "task": "reports.tasks.take_snapshots",
            "schedule": crontab(hour=1, minute=30),
        },
        "reports-monday-pack": {
            "task": "reports.tasks.send_monday_packs",
            "schedule": crontab(day_of_week=1, hour=7, minute=30),
        },
    }
)

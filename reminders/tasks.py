from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts.models import Branch

from . import services


@shared_task
def generate_daily_reminders(day: str | None = None):
    """Every morning: one subtask per branch, so more workers share the work."""
    until = day or timezone.localdate().isoformat()
    for branch_id in Branch.objects.values_list("pk", flat=True):
        generate_branch_reminders.delay(branch_id, until)


@shared_task(acks_late=True)
def generate_branch_reminders(branch_id: int, until: str):
    return services.generate_for_branch(branch_id, date.fromisoformat(until))

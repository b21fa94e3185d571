from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import TaskFailure


@shared_task
def delete_old_task_failures():
    """Failed tasks are kept TASK_FAILURE_RETENTION_DAYS for admins to look at."""
    cutoff = timezone.now() - timedelta(days=settings.TASK_FAILURE_RETENTION_DAYS)
    deleted, _ = TaskFailure.objects.filter(failed_at__lt=cutoff).delete()
    return deleted

from datetime import date

from celery import shared_task
from django.utils import timezone

from .tiers import previous_month, recompute_tiers


@shared_task
def recompute_tiers_for_last_month(month: str | None = None):
    """Monthly: apply the tier rules to the month that just ended."""
    target = date.fromisoformat(month) if month else previous_month(timezone.localdate())
    return recompute_tiers(month=target)

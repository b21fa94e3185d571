from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def send_morning_notifications(day: str | None = None):
    """After the email digest: plan the day's WeCom (and later other channels') deliveries,
    one task each."""
    target = date.fromisoformat(day) if day else timezone.localdate()
    for delivery_id in services.plan_deliveries(target):
        deliver.delay(delivery_id)


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver(self, delivery_id: int):
    try:
        return services.send_delivery(delivery_id)
    except Exception as error:
        # send_delivery has put the delivery back to "pending" and said when to try again;
        # the number of attempts is counted on the row, not here.
        wait = getattr(error, "retry_in", None)
        if wait is None:
            raise
        raise self.retry(exc=error, countdown=wait) from error


@shared_task
def retry_waiting_deliveries():
    """Every few minutes: free the claims of dead workers and send again what was lost."""
    services.release_stale_claims()
    for delivery_id in services.waiting_deliveries().values_list("pk", flat=True)[:1000]:
        deliver.delay(delivery_id)

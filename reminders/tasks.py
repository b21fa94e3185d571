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


@shared_task
def send_daily_digests(day: str | None = None):
    """After the reminders are generated: one email task per user who has something due."""
    target = date.fromisoformat(day) if day else timezone.localdate()
    for user_id in services.digest_recipients(target).values_list("pk", flat=True):
        send_user_digest.delay(user_id, target.isoformat())


@shared_task(bind=True, max_retries=5, default_retry_delay=300)
def send_user_digest(self, user_id: int, day: str):
    from accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    try:
        return services.send_digest(user, date.fromisoformat(day))
    except OSError as error:  # SMTP and network failures: the claim was released, try later
        raise self.retry(exc=error) from error

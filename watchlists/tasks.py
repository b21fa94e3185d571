from celery import shared_task

from . import checks, rules, services


@shared_task
def nightly():
    """The rules, then the check schedule, then escalation: one service call each."""
    rules.evaluate()
    checks.schedule()
    services.escalate()

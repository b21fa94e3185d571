from celery import shared_task

from . import board, checks, rules, services


@shared_task
def nightly():
    """The rules, then the check schedule, then escalation, then the board's figures: one
    service call each."""
    rules.evaluate()
    checks.schedule()
    services.escalate()
    board.refresh()


@shared_task
def refresh_board():
    """The branch board's figures (claimed: two workers never take them at once)."""
    board.refresh()

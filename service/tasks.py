from celery import shared_task

from . import services


@shared_task(acks_late=True)
def run_ticket_clock():
    """Every quarter of an hour: the complaint clock's alerts and escalations."""
    return services.run_ticket_clock()

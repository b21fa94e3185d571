from celery import shared_task

from . import services


@shared_task
def clear_expired_sessions():
    return services.clear_expired_sessions()

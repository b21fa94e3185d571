from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True)
def run_job(self, job_id: int):
    return services.run_job(job_id, worker=self.request.hostname or "")


@shared_task
def fail_stale_jobs():
    return services.fail_stale_jobs()


@shared_task
def delete_expired_job_files():
    return services.delete_expired_files()

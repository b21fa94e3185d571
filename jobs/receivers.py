from celery.signals import worker_ready


@worker_ready.connect
def fail_jobs_interrupted_by_a_restart(**kwargs):
    """A worker that starts (again) fails the jobs left running with no sign of life."""
    from .services import fail_stale_jobs

    fail_stale_jobs()

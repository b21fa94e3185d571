from celery.signals import worker_ready


@worker_ready.connect
def fail_jobs_interrupted_by_a_restart(sender=None, **kwargs):
    """A worker that starts (again) fails the jobs its previous process left running, and any
    job left running with no sign of life (see jobs.services)."""
    from .services import fail_jobs_of_restarted_worker, fail_stale_jobs

    fail_jobs_of_restarted_worker(getattr(sender, "hostname", "") or "")
    fail_stale_jobs()

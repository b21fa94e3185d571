"""Celery signals: a task's log lines carry its id; a task that fails is recorded for admins."""

import logging

from celery.signals import task_failure, task_postrun, task_prerun

from crm.observability import request_id_var
from jobs.signals import job_crashed

logger = logging.getLogger(__name__)
_tokens = {}


@task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    _tokens[task_id] = request_id_var.set(task_id or "")


@task_postrun.connect
def _task_ended(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)


def record(*, task, error, task_id="", args=(), worker=""):
    from .models import TaskFailure

    try:
        TaskFailure.objects.create(
            task=task[:200],
            task_id=(task_id or "")[:64],
            args=repr(tuple(args or ()))[:500],
            error=f"{type(error).__name__}: {error}"[:1000],
            worker=(worker or "")[:200],
        )
    except Exception:  # the database may be what failed
        logger.exception("could not record the failure of %s", task)


@task_failure.connect
def _record_failure(sender=None, task_id=None, exception=None, args=None, **kwargs):
    record(
        task=getattr(sender, "name", "") or str(sender),
        error=exception,
        task_id=task_id,
        args=args,
        worker=getattr(getattr(sender, "request", None), "hostname", ""),
    )


@job_crashed.connect
def _record_job_crash(sender=None, job=None, exception=None, **kwargs):
    """The real error of a job that crashed (its owner sees a plain message)."""
    record(task=f"job {job.kind}", error=exception, args=(job.pk,), worker=job.worker)

"""Starting, running and ending background jobs; their files; the sweeper and the retention.

Rules enforced here:
- a job runs at most once: the runner claims it with a conditional UPDATE (queued → running);
  a second delivery of the same task (a retry, a redelivery after a worker was killed) finds
  nothing to claim and does nothing;
- a job ends once: ``finish`` and ``fail`` only move a running (or queued) job;
- a running job whose last sign of life (``heartbeat_at``, or the progress in the ``jobs``
  cache) is older than ``JOB_STALE_SECONDS`` was interrupted (its worker was killed or
  restarted): ``fail_stale_jobs`` marks it failed with a message saying so. It runs every
  minute (beat) and when a worker starts;
- files live in Django's default storage under ``jobs/`` and ``uploads/``; they hold customer
  data and are deleted ``JOB_FILES_RETENTION_DAYS`` after the job ended (``delete_expired_files``,
  daily).
"""

import logging
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.replica import reading_from_replica, replica_job_kinds

from .models import Job
from .registry import KINDS, JobFailed
from .signals import job_crashed

logger = logging.getLogger(__name__)

UPLOADS = "uploads"


def _save(folder: str, filename: str, content: bytes) -> str:
    # The user's file name is kept for the download, never trusted as a path.
    suffix = re.sub(r"[^a-z0-9]", "", filename.rsplit(".", 1)[-1].lower())[:10]
    name = f"{folder}/{uuid.uuid4().hex}.{suffix if '.' in filename and suffix else 'bin'}"
    return default_storage.save(name, ContentFile(content))


def store_upload(*, filename: str, content: bytes) -> str:
    """Keep an uploaded file in the default storage (seen by every web server and worker);
    returns its storage name. It is deleted after the retention period like a job's files."""
    return _save(UPLOADS, filename, content)


def read_file(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


@transaction.atomic
def start_job(
    *,
    owner,
    kind: str,
    params: dict | None = None,
    input_file: str = "",
    input_filename: str = "",
) -> Job:
    """Record a job for ``owner`` and send it to a worker once the transaction commits."""
    from .tasks import run_job

    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        owner=owner,
        kind=kind,
        params=params or {},
        input_file=input_file,
        input_filename=input_filename,
    )
    run_job.delay_on_commit(job.pk)
    return job


def report_progress(job: Job, done: int, total: int | None = None) -> None:
    """Record how far a running job has come (also its sign of life for the sweeper).

    The cache carries it at once, even from inside the job's own transaction; the row is
    updated too when no transaction is open (otherwise it would only be seen at the commit)."""
    job.progress_done = done
    if total is not None:
        job.progress_total = total
    now = timezone.now()
    caches["jobs"].set(
        job.progress_key,
        {"done": job.progress_done, "total": job.progress_total, "at": now.timestamp()},
        timeout=settings.JOB_STALE_SECONDS * 4,
    )
    if not transaction.get_connection().in_atomic_block:
        Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
            progress_done=job.progress_done, progress_total=job.progress_total, heartbeat_at=now
        )


def finish(job: Job, *, message="", counts=None, filename="", content=b"") -> bool:
    """A running job ends well; its result file (if any) is kept for download."""
    result_file = _save(f"jobs/{job.key}", filename, content) if filename else ""
    updated = Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=Job.State.DONE,
        message=message,
        counts=counts or {},
        result_file=result_file,
        result_filename=filename,
        progress_done=job.progress_total or job.progress_done,
        progress_total=job.progress_total,
        finished_at=timezone.now(),
    )
    if not updated and result_file:
        default_storage.delete(result_file)
    return bool(updated)


def fail(job: Job, *, message: str, counts=None, filename="", content=b"") -> bool:
    """A queued or running job ends badly, with a message for its owner and optionally a
    report file (an import's list of problems)."""
    result_file = _save(f"jobs/{job.key}", filename, content) if filename else ""
    updated = Job.objects.filter(pk=job.pk, state__in=[Job.State.QUEUED, Job.State.RUNNING]).update(
        state=Job.State.FAILED,
        message=message,
        counts=counts or {},
        result_file=result_file,
        result_filename=filename,
        finished_at=timezone.now(),
    )
    if not updated and result_file:
        default_storage.delete(result_file)
    return bool(updated)


def run_job(job_id: int, *, worker: str = "") -> str | None:
    """Claim a queued job for ``worker`` (a Celery node name) and run its kind's function;
    record how it ended.

    Returns the state it ended in, or None when there was nothing to claim (already run,
    running elsewhere, or gone)."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, worker=worker
    )
    if not claimed:
        return None
    job = Job.objects.select_related("owner").get(pk=job_id)
    with translation.override(getattr(job.owner, "language", None) or settings.LANGUAGE_CODE):
        return _run_claimed(job)


def _run_claimed(job: Job) -> str:
    kind = KINDS.get(job.kind)
    try:
        if kind is None:
            raise JobFailed(_("This kind of job is no longer available."))
        if job.kind in replica_job_kinds():  # an export: it reads from the replica if any
            with reading_from_replica():
                outcome = kind.run(job)
        else:
            outcome = kind.run(job)
    except JobFailed as refused:
        fail(
            job,
            message=refused.message,
            counts=refused.counts,
            filename=refused.filename,
            content=refused.content,
        )
        return Job.State.FAILED
    except Exception as error:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fail(job, message=_("The job stopped because of an error. Nothing was changed."))
        job_crashed.send(sender=Job, job=job, exception=error)
        return Job.State.FAILED
    finish(
        job,
        message=outcome.message,
        counts=outcome.counts,
        filename=outcome.filename,
        content=outcome.content,
    )
    return Job.State.DONE


INTERRUPTED = gettext_noop(
    "The job was interrupted (its worker stopped) and did not finish. Nothing was changed: "
    "start it again."
)


def fail_jobs_of_restarted_worker(worker: str) -> int:
    """Mark failed every job still running on ``worker`` when that worker starts: whatever
    it was doing died with its previous process. Returns how many were failed."""
    if not worker:
        return 0
    return Job.objects.filter(state=Job.State.RUNNING, worker=worker).update(
        state=Job.State.FAILED, message=_(INTERRUPTED), finished_at=timezone.now()
    )


def fail_stale_jobs(now=None) -> int:
    """Mark failed every running job with no sign of life for ``JOB_STALE_SECONDS``: its
    worker was killed or restarted. Returns how many were failed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    failed = 0
    for job in Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=cutoff):
        live = caches["jobs"].get(job.progress_key)
        if live and live["at"] > cutoff.timestamp():
            continue  # reporting progress from inside its transaction
        failed += Job.objects.filter(
            pk=job.pk, state=Job.State.RUNNING, heartbeat_at=job.heartbeat_at
        ).update(state=Job.State.FAILED, message=_(INTERRUPTED), finished_at=now)
    return failed


def delete_expired_files(now=None) -> int:
    """Delete the files of jobs that ended more than ``JOB_FILES_RETENTION_DAYS`` ago, and
    uploads older than that; they hold customer data. Returns how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.JOB_FILES_RETENTION_DAYS)
    deleted = 0
    expired = Job.objects.filter(files_deleted_at=None).filter(
        Q(finished_at__lt=cutoff) | Q(finished_at=None, created_at__lt=cutoff)
    )
    for job in expired.only("pk", "input_file", "result_file"):
        for name in (job.input_file, job.result_file):
            if name and default_storage.exists(name):
                default_storage.delete(name)
                deleted += 1
        Job.objects.filter(pk=job.pk).update(files_deleted_at=now, input_file="", result_file="")
    try:
        _folders, uploads = default_storage.listdir(UPLOADS)
    except (FileNotFoundError, NotImplementedError):
        uploads = []
    for filename in uploads:
        name = f"{UPLOADS}/{filename}"
        if default_storage.get_modified_time(name) < cutoff:
            default_storage.delete(name)
            deleted += 1
    return deleted


def retry_job(job_id: int) -> bool:
    """Send a failed job to a worker again, as its owner started it: the same kind, parameters
    and uploaded file. Only a failed job whose files are still kept can be retried, and only
    once per failure (a conditional UPDATE failed → queued; a second click finds nothing to
    move). Returns whether it was sent again."""
    from .tasks import run_job

    job = Job.objects.filter(pk=job_id, state=Job.State.FAILED, files_deleted_at=None).first()
    if job is None or job.kind not in KINDS:
        return False
    if job.input_file and not default_storage.exists(job.input_file):
        return False
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
            state=Job.State.QUEUED,
            message="",
            counts={},
            result_file="",
            result_filename="",
            progress_done=0,
            progress_total=None,
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
            worker="",
        )
        if not moved:
            return False
        run_job.delay_on_commit(job.pk)
    if job.result_file:
        default_storage.delete(job.result_file)
    logger.info("job %s (%s) sent again after it failed", job.pk, job.kind)
    return True

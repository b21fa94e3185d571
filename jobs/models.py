"""A background job: one row per piece of long work (an import, an export), run by Celery.

The row is the truth about a job: its state, who started it, its counts and its files (names in
Django's default storage, so any web server can read them). Progress of a running job is also
kept in the ``jobs`` cache, because the work may hold a database transaction open for its whole
length (an import is all-or-nothing) and a row written inside it is invisible until it commits.
"""

import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is seen by the user who started it, and by no one else (not even an admin):
        its files hold customer data chosen by that user. Inactive users see none."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(owner=user)

    def unfinished(self):
        return self.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("job kind"), max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("started by"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    input_file = models.CharField(_("uploaded file"), max_length=255, blank=True)
    input_filename = models.CharField(max_length=255, blank=True)
    result_file = models.CharField(_("result file"), max_length=255, blank=True)
    result_filename = models.CharField(max_length=255, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The Celery worker (node name) running it: a worker that starts again fails what it left.
    worker = models.CharField(max_length=200, blank=True)
    files_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["state", "heartbeat_at"]),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def progress_key(self) -> str:
        return f"job-progress:{self.key}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    def live_progress(self) -> tuple[int, int | None]:
        """(done, total): the latest reported, from the cache while the job runs."""
        if self.state == self.State.RUNNING:
            live = caches["jobs"].get(self.progress_key)
            if live and live["done"] >= self.progress_done:
                return live["done"], live["total"]
        return self.progress_done, self.progress_total

    def percent(self) -> int | None:
        done, total = self.live_progress()
        if self.state == self.State.DONE:
            return 100
        if not total:
            return None
        return min(100, done * 100 // total)

    @property
    def label(self) -> str:
        from .registry import kind_label

        return kind_label(self.kind)

"""What operations keep in the database: failed Celery tasks, and the beat's sign of life."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskFailure(models.Model):
    """A Celery task that ended with an error (a job's own failure is on its Job row).

    The error is its type and message, cut short; a task's arguments are ids, never customer
    data, and are kept so that an admin can tell which run failed."""

    task = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    args = models.CharField(_("arguments"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=1000)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at"]

    def __str__(self):
        return f"{self.task} {self.failed_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """The last sign of life of a singleton process (the beat), for /readyz."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"

"""The beat's scheduler: django-celery-beat's database scheduler, leaving a sign of life.

Beat wakes at least every 5 seconds; at most every ``BEAT_HEARTBEAT_SECONDS`` it writes the
time to the ``beat`` heartbeat row, which /readyz reads (an entry's ``last_run_at`` is only
saved every few minutes, and an idle schedule has none to save)."""

import logging
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler as BaseScheduler

logger = logging.getLogger(__name__)


class DatabaseScheduler(BaseScheduler):
    _heartbeat_written = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._heartbeat_written >= settings.BEAT_HEARTBEAT_SECONDS:
            try:
                from .models import Heartbeat

                close_old_connections()
                Heartbeat.objects.update_or_create(name="beat", defaults={"at": timezone.now()})
                self._heartbeat_written = now
            except Exception:
                logger.exception("could not write the beat's heartbeat")
        return min(interval, settings.BEAT_HEARTBEAT_SECONDS)

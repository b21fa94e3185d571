import pytest

from crm.celery import app
from ops.beat import DatabaseScheduler
from ops.models import Heartbeat


@pytest.mark.django_db(transaction=True)
def test_the_beat_leaves_a_heartbeat_as_it_ticks(settings):
    settings.BEAT_HEARTBEAT_SECONDS = 15
    scheduler = DatabaseScheduler(app=app, lazy=True)
    interval = scheduler.tick()
    assert interval <= 15
    first = Heartbeat.objects.get(name="beat").at
    scheduler.tick()  # within the interval: not written again
    assert Heartbeat.objects.get(name="beat").at == first

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from reminders.models import Reminder
from tests.conftest import assert_scope
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


def test_the_board_counts_the_heads_rms_only(personas, book, client_for):
    today = timezone.localdate()
    at = timezone.make_aware(datetime.combine(today, time(10)))
    VisitFactory(customer=book.mine, planned_start=at)
    VisitFactory(customer=book.other, planned_start=at)
    Reminder.objects.create(
        kind="birthday",
        customer=book.mine,
        subject_key="customer:1",
        due_on=today - timedelta(days=2),
        remind_on=today - timedelta(days=2),
        recipient=personas.rm,
    )
    assert_scope(client_for, "/reports/today/", allowed={"head", "other_head", "admin"})
    page = client_for("head").get("/reports/today/")
    rows = {rm.username: counts for rm, counts in page.context["rows"]}
    assert list(rows) == ["rm"] and rows["rm"][:2] == [1, 1]
    # With watchlists installed, a third column counts escalated warnings.
    assert len(page.context["labels"]) == len(rows["rm"])

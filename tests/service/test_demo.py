import pytest

from service import demo
from service.models import Gift, Ticket
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_demo_seeder_writes_consistent_rows_once(personas):
    CustomerFactory.create_batch(120, primary_rm=personas.rm)
    made = demo.seed(seed=1, customers=120, stdout=None)
    assert made["tickets"] == Ticket.objects.count() > 0
    assert demo.seed(seed=1, customers=120, stdout=None) == {}
    for ticket in Ticket.objects.all():
        assert ticket.due_at > ticket.received_at
        assert (ticket.answered_at is None) == ticket.is_running
        if ticket.state == "closed" and ticket.is_complaint:
            assert ticket.cause_class and ticket.root_cause and ticket.upheld is not None
    assert not Gift.objects.filter(value__gt=200, given_on__isnull=False).exists()

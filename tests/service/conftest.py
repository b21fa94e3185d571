from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from service.models import Ticket, TicketType
from service.services import create_ticket
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


def take(actor, *, customer=None, handler=None, ticket_type=TicketType.COMPLAINT, **fields):
    """A ticket taken by ``actor`` (handled by ``handler``, else by the taker)."""
    fields.setdefault("received_at", RECEIVED)
    ticket = Ticket(
        ticket_type=ticket_type,
        customer=customer,
        channel=Ticket.Channel.BRANCH,
        content="存单到期未自动转存",
        handler=handler or actor,
        contact_name="" if customer else fields.pop("contact_name", "王先生"),
        **fields,
    )
    return create_ticket(actor=actor, ticket=ticket)


@pytest.fixture
def tickets(book, personas, org):
    """One complaint about each customer of the book (taken by someone who sees it), and two
    walk-in tickets: one taken by ``rm`` in B1A, one by ``other_rm`` in B2A."""
    outlet_rm = User.objects.get(username="outlet_rm")
    return SimpleNamespace(
        mine=take(personas.rm, customer=book.mine),
        assisted=take(personas.colleague, customer=book.assisted),
        colleagues=take(personas.colleague, customer=book.colleagues),
        outlet=take(outlet_rm, customer=book.outlet),
        other=take(personas.other_rm, customer=book.other),
        walk_in=take(personas.rm),
        other_walk_in=take(personas.other_rm),
    )


# Who sees which ticket of the fixture above: the book's customer scope, and for walk-ins the
# taker or handler, the heads above the handling unit, and admins.
TICKET_SCOPE = {
    "rm": {"mine", "assisted", "walk_in"},
    "colleague": {"assisted", "colleagues"},
    "head": {"mine", "assisted", "colleagues", "outlet", "walk_in"},
    "other_rm": {"other", "other_walk_in"},
    "other_head": {"other", "other_walk_in"},
    "admin": {"mine", "assisted", "colleagues", "outlet", "other", "walk_in", "other_walk_in"},
}


@pytest.fixture
def ho_head(org):
    """A head at head office: the parent of the branches' heads for escalations."""
    return UserFactory(username="ho_head", role=User.Role.HEAD, branch=org.ho)

"""States move through one service: listed moves only, by those allowed, once."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from tests.conftest import persona_user
from tests.factories import CustomerFactory
from tests.sample_module.models import Ticket
from workflow.machine import StateMachine, Transition
from workflow.models import StateChange
from workflow.services import move

OPEN, HANDLING, CLOSED = Ticket.State.OPEN, Ticket.State.HANDLING, Ticket.State.CLOSED


@pytest.fixture
def ticket(personas):
    return Ticket.objects.create(customer=CustomerFactory(primary_rm=personas.rm))


@pytest.mark.django_db
def test_a_move_changes_the_state_and_writes_who_when_from_to_and_why(personas, ticket):
    change = move(actor=personas.rm, obj=ticket, to=HANDLING, note="客户来电")
    assert ticket.state == HANDLING
    assert Ticket.objects.get(pk=ticket.pk).state == HANDLING
    assert list(StateChange.objects.of(ticket)) == [change]
    assert (change.actor, change.from_state, change.to_state) == (personas.rm, OPEN, HANDLING)
    assert change.why == {"note": "客户来电"} and change.at is not None
    assert change.record == ticket


@pytest.mark.django_db
def test_entering_a_stamped_state_sets_its_time(personas, ticket):
    change = move(actor=personas.head, obj=ticket, to=CLOSED)
    ticket.refresh_from_db()
    assert ticket.state == CLOSED and ticket.closed_at == change.at


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("rm", True),
        ("colleague", False),
        ("head", False),  # the move is the customer's RM's alone
        ("other_rm", False),
        ("other_head", False),
        ("admin", False),
        ("inactive", False),
    ],
)
def test_only_those_the_transition_names_may_make_it(personas, org, ticket, persona, allowed):
    user = persona_user(personas, org, persona)
    if allowed:
        move(actor=user, obj=ticket, to=HANDLING)
    else:
        with pytest.raises(PermissionDenied):
            move(actor=user, obj=ticket, to=HANDLING)
    assert Ticket.objects.get(pk=ticket.pk).state == (HANDLING if allowed else OPEN)
    assert StateChange.objects.of(ticket).count() == (1 if allowed else 0)


@pytest.mark.django_db
def test_an_inactive_user_is_refused_even_where_the_rule_says_yes(personas, ticket):
    personas.rm.is_active = False
    with pytest.raises(PermissionDenied):
        move(actor=personas.rm, obj=ticket, to=HANDLING)
    assert not StateChange.objects.exists()


@pytest.mark.django_db
def test_a_move_that_is_not_listed_is_refused_in_the_users_language(personas, ticket):
    ticket.state = CLOSED
    ticket.save()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        move(actor=personas.admin, obj=ticket, to=OPEN)
    assert refused.value.code == "invalid_move"
    assert "不能从“Closed”变为“Open”" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        move(actor=personas.admin, obj=ticket, to="nonsense")
    assert Ticket.objects.get(pk=ticket.pk).state == CLOSED
    assert not StateChange.objects.exists()


@pytest.mark.django_db
def test_a_refusal_speaks_the_users_language(personas, ticket):
    with translation.override("zh-hans"), pytest.raises(PermissionDenied) as refused:
        move(actor=personas.colleague, obj=ticket, to=HANDLING)
    assert "您无权" in str(refused.value)


@pytest.mark.django_db
def test_a_system_move_needs_a_transition_marked_for_the_system(personas, ticket):
    with pytest.raises(PermissionDenied):
        move(actor=None, obj=ticket, to=HANDLING)
    move(actor=personas.rm, obj=ticket, to=HANDLING)
    change = move(actor=None, obj=ticket, to=OPEN, reason="no answer in 3 days")
    assert change.actor is None and Ticket.objects.get(pk=ticket.pk).state == OPEN


@pytest.mark.django_db
def test_a_second_click_on_a_stale_page_is_told_the_record_was_already_moved(personas, ticket):
    stale = Ticket.objects.get(pk=ticket.pk)
    move(actor=personas.rm, obj=ticket, to=HANDLING)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as stale_move:
        move(actor=personas.rm, obj=stale, to=HANDLING)
    assert stale_move.value.code == "stale"
    assert "已被他人处理" in stale_move.value.messages[0]
    assert "Being handled" in stale_move.value.messages[0]
    assert StateChange.objects.of(ticket).count() == 1


@pytest.mark.django_db
def test_a_stale_move_to_another_state_changes_nothing(personas, ticket):
    stale = Ticket.objects.get(pk=ticket.pk)
    move(actor=personas.head, obj=ticket, to=CLOSED)
    with pytest.raises(ValidationError):
        move(actor=personas.head, obj=stale, to=CLOSED)
    with pytest.raises(ValidationError):
        move(actor=personas.rm, obj=stale, to=HANDLING)
    assert Ticket.objects.get(pk=ticket.pk).state == CLOSED
    assert StateChange.objects.of(ticket).count() == 1


@pytest.mark.django_db
def test_a_move_whose_history_cannot_be_written_does_not_happen(personas, ticket, monkeypatch):
    def broken(**fields):
        raise RuntimeError("disk full")

    monkeypatch.setattr(StateChange.objects, "create", broken)
    with pytest.raises(RuntimeError):
        move(actor=personas.rm, obj=ticket, to=HANDLING)
    assert Ticket.objects.get(pk=ticket.pk).state == OPEN


@pytest.mark.django_db
def test_a_move_costs_a_handful_of_queries(personas, ticket, django_assert_max_num_queries):
    move(actor=personas.rm, obj=ticket, to=HANDLING)  # the content type is cached from here on
    ticket = Ticket.objects.select_related("customer__branch").get(pk=ticket.pk)
    with django_assert_max_num_queries(4):  # savepoint, UPDATE, INSERT, release
        move(actor=personas.head, obj=ticket, to=CLOSED)


@pytest.mark.django_db
def test_a_page_offers_the_moves_the_user_may_make(personas, ticket):
    machine = StateMachine.of(Ticket)
    assert machine.targets_for(personas.rm, ticket) == [HANDLING]
    assert machine.targets_for(personas.head, ticket) == [CLOSED]
    assert machine.targets_for(personas.other_rm, ticket) == []


def test_a_move_listed_twice_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        StateMachine(
            field="state", transitions=[Transition(OPEN, CLOSED), Transition(OPEN, CLOSED)]
        )
    with pytest.raises(ImproperlyConfigured):
        StateMachine(field="state", transitions=[Transition(OPEN, OPEN)])


@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_make_one_move_and_one_history_row(personas):
    """Two clicks, or two workers, at the same moment: each read the ticket open; exactly one
    moves it, the other is told it was already moved."""
    ticket = Ticket.objects.create(customer=CustomerFactory(primary_rm=personas.rm))
    copies = [Ticket.objects.get(pk=ticket.pk) for _ in range(2)]
    start = threading.Barrier(2)
    moved, refused, errors = [], [], []

    def run(copy):
        try:
            start.wait()
            moved.append(move(actor=personas.head, obj=copy, to=CLOSED, note="并发"))
        except ValidationError as error:
            refused.append(error.code)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(copy,)) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(moved) == 1 and refused == ["stale"]
    assert StateChange.objects.filter(object_id=ticket.pk).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).state == CLOSED

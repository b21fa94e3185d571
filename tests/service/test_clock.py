"""The complaint clock with a frozen clock: every alert and escalation once, at its time."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reminders.models import Reminder
from service.models import Ticket, TicketAlert, TimeLimit
from service.services import approve_extension, extend, run_ticket_clock
from tests.service.conftest import RECEIVED, SHANGHAI, take
from workflow.services import move

pytestmark = pytest.mark.django_db


def at(month, day, hour=9, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def alerts(ticket):
    return sorted(
        (a.stage, a.recipient.username, a.deadline.astimezone(SHANGHAI).date().isoformat())
        for a in TicketAlert.objects.filter(ticket=ticket).select_related("recipient")
    )


@pytest.fixture
def complaint(book, personas, ho_head):
    return take(personas.rm, customer=book.mine)


def test_a_complaint_answers_within_15_calendar_days(complaint):
    assert complaint.due_at == RECEIVED + timedelta(days=15)
    assert complaint.service_level == "standard"


def test_alerts_and_escalations_come_once_each_at_their_time(complaint, personas):
    assert run_ticket_clock(at(11, 14, 8, 59)) == 0
    assert run_ticket_clock(at(11, 14, 9, 0)) == 1
    assert alerts(complaint) == [("near", "rm", "2026-11-17")]
    assert run_ticket_clock(at(11, 16, 12)) == 0
    assert run_ticket_clock(at(11, 17, 9)) == 1
    assert run_ticket_clock(at(11, 17, 23)) == 0
    # A day after the limit: the head of the handling unit (B1A has none; B1's head).
    assert run_ticket_clock(at(11, 18, 9)) == 1
    assert run_ticket_clock(at(11, 19, 9)) == 0
    # Three days after: the head of the parent branch (head office).
    assert run_ticket_clock(at(11, 20, 9)) == 1
    assert run_ticket_clock(at(11, 25, 9)) == 0
    assert alerts(complaint) == [
        ("at_limit", "rm", "2026-11-17"),
        ("escalated", "head", "2026-11-17"),
        ("escalated_parent", "ho_head", "2026-11-17"),
        ("near", "rm", "2026-11-17"),
    ]
    reminders = sorted(
        (r.kind, r.recipient.username)
        for r in Reminder.objects.filter(subject_key=f"ticket:{complaint.pk}")
    )
    assert reminders == [
        ("ticket_escalated", "head"),
        ("ticket_escalated", "ho_head"),
        ("ticket_near_limit", "rm"),
        ("ticket_past_limit", "rm"),
    ]
    assert not TicketAlert.objects.filter(delivered_at__isnull=True).exists()


def test_a_late_first_run_catches_up_without_doubling(complaint):
    assert run_ticket_clock(at(11, 21, 9)) == 3
    assert run_ticket_clock(at(11, 21, 9)) == 0
    assert [stage for stage, _who, _day in alerts(complaint)] == [
        "at_limit",
        "escalated",
        "escalated_parent",
    ]


def test_an_answered_ticket_stops_its_clock(complaint, personas):
    move(actor=personas.rm, obj=complaint, to=Ticket.State.IN_HAND)
    move(actor=personas.rm, obj=complaint, to=Ticket.State.ANSWERED)
    assert run_ticket_clock(at(11, 30)) == 0


def test_the_first_extension_moves_the_limit_to_30_days_and_the_alerts_with_it(complaint, personas):
    extension = extend(actor=personas.rm, ticket=complaint, reason="需调取监控录像")
    complaint.refresh_from_db()
    assert extension.applied_at is not None
    assert complaint.due_at == RECEIVED + timedelta(days=30)
    assert run_ticket_clock(at(11, 17, 9)) == 0
    assert run_ticket_clock(at(11, 29, 9)) == 1
    assert alerts(complaint) == [("near", "rm", "2026-12-02")]


def test_an_extension_needs_a_reason(complaint, personas):
    with pytest.raises(ValidationError) as refused:
        extend(actor=personas.rm, ticket=complaint, reason="  ")
    assert "reason" in refused.value.message_dict


def test_a_second_extension_applies_only_with_the_heads_approval(complaint, personas):
    extend(actor=personas.rm, ticket=complaint, reason="需调取监控录像")
    with pytest.raises(ValidationError) as refused:
        extend(actor=personas.rm, ticket=complaint, reason="需总行核实")
    assert "customer_notice" in refused.value.message_dict
    second = extend(
        actor=personas.rm,
        ticket=complaint,
        reason="需总行核实",
        customer_notice="已电话告知客户延期原因",
    )
    complaint.refresh_from_db()
    # Without approval the limit stays: the clock alerts and escalates on the old one.
    assert second.applied_at is None
    assert complaint.due_at == RECEIVED + timedelta(days=30)
    assert run_ticket_clock(at(12, 2, 9)) == 1
    for user in (personas.rm, personas.colleague, personas.other_head):
        with pytest.raises(PermissionDenied):
            approve_extension(actor=user, extension=second)
    approve_extension(actor=personas.head, extension=second)
    complaint.refresh_from_db()
    assert complaint.due_at == RECEIVED + timedelta(days=60)
    assert complaint.extensions == 2
    assert complaint.events.filter(kind="notice", note="已电话告知客户延期原因").exists()
    with pytest.raises(ValidationError):
        approve_extension(actor=personas.head, extension=second)
    # The new limit has alerts of its own.
    assert run_ticket_clock(at(12, 29, 9, year=2026)) == 1
    assert ("near", "rm", "2027-01-01") in alerts(complaint)
    with pytest.raises(ValidationError):
        extend(actor=personas.rm, ticket=complaint, reason="再次延期", customer_notice="x")


def test_a_second_extension_adds_at_most_30_days(complaint, personas):
    extend(actor=personas.rm, ticket=complaint, reason="需调取监控录像")
    with pytest.raises(ValidationError) as refused:
        extend(actor=personas.rm, ticket=complaint, reason="r", days=31, customer_notice="n")
    assert "days" in refused.value.message_dict


def test_time_limits_are_read_from_the_admins_rows(book, personas):
    TimeLimit.objects.create(
        ticket_type="complaint", service_level="standard", answer_days=10, alert_days=2
    )
    ticket = take(personas.rm, customer=book.mine)
    assert ticket.due_at == RECEIVED + timedelta(days=10)
    assert run_ticket_clock(at(11, 10, 8)) == 0
    assert run_ticket_clock(at(11, 10, 9)) == 1


def test_a_walk_in_tickets_alerts_are_rows_without_a_reminder(personas, ho_head):
    ticket = take(personas.rm)
    assert run_ticket_clock(at(11, 18, 9)) == 2
    assert alerts(ticket) == [("at_limit", "rm", "2026-11-17"), ("escalated", "head", "2026-11-17")]
    assert not Reminder.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_clock_runs_at_once_create_each_alert_once(personas, org):
    import threading

    from django.db import connection

    from tests.factories import CustomerFactory, UserFactory

    UserFactory(username="ho_head", role="head", branch=org.ho)
    for _ in range(10):
        take(personas.rm, customer=CustomerFactory(primary_rm=personas.rm))
    errors = []

    def run():
        try:
            run_ticket_clock(at(11, 21, 9))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TicketAlert.objects.count() == 30
    assert Reminder.objects.count() == 30


def test_an_escalation_goes_out_at_once_on_wecom_to_a_head_who_chose_it(
    complaint, personas, settings
):
    from notifications.models import Delivery

    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET = "c", "1", "s"
    personas.head.wecom_userid, personas.head.remind_by_wecom = "liuyang", True
    personas.head.save()
    run_ticket_clock(at(11, 18, 9))
    run_ticket_clock(at(11, 18, 10))
    (delivery,) = Delivery.objects.all()
    assert (delivery.user, delivery.kind, delivery.channel) == (personas.head, "urgent", "wecom")
    assert delivery.reminder.kind == "ticket_escalated"

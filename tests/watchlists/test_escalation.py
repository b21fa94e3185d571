from datetime import date, timedelta

import pytest

from accounts.models import User
from reminders.models import Reminder
from tests.factories import UserFactory
from watchlists import services
from watchlists.models import Escalation, Level, TimeLimit, WatchItem, add_working_days

MONDAY = date(2026, 11, 23)


@pytest.fixture
def risk(org):
    return UserFactory(username="risk", role=User.Role.RISK, branch=org.b1)


@pytest.fixture
def ho_head(org):
    return UserFactory(username="ho_head", role=User.Role.HEAD, branch=org.ho)


def _item(book, personas, level, review_on):
    item = services.open_item(
        actor=personas.rm,
        customer=book.mine,
        kind=WatchItem.Kind.CREDIT,
        level=level,
        source=WatchItem.Source.RM,
        signals=["large_flow"],
        review_on=review_on,
        measure=("call", personas.rm, review_on + timedelta(days=30)),
    )
    return item


def test_working_days_skip_the_weekend():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1) == date(2026, 11, 30)
    assert add_working_days(MONDAY, 3) == date(2026, 11, 26)


def test_severe_item_climbs_one_level_per_working_day(book, personas, risk, ho_head):
    item = _item(book, personas, Level.SEVERE, review_on=MONDAY)
    # Overdue since Monday, one working day each: Tuesday the head, Wednesday the risk
    # manager, Thursday the head office (the head of the branch above the branch head's).
    expected = {
        MONDAY: (0, None),
        MONDAY + timedelta(days=1): (1, personas.head),
        MONDAY + timedelta(days=2): (2, risk),
        MONDAY + timedelta(days=3): (3, ho_head),
        MONDAY + timedelta(days=10): (3, ho_head),
    }
    for day, (level, user) in expected.items():
        services.escalate(day)
        services.escalate(day)  # a rerun the same day changes nothing
        item.refresh_from_db()
        assert (day, item.escalation_level) == (day, level)
        if user:
            assert item.escalated_to == user
            assert item.state == WatchItem.State.ESCALATED
            assert WatchItem.objects.visible_to(user).filter(pk=item.pk).exists()
            assert Reminder.objects.filter(recipient=user, kind="watch_escalated").count() == 1
    assert list(Escalation.objects.values_list("level", flat=True)) == [1, 2, 3]


def test_attention_item_waits_seven_working_days(book, personas, risk):
    item = _item(book, personas, Level.ATTENTION, review_on=MONDAY)
    services.escalate(MONDAY + timedelta(days=8))  # Tuesday week: six working days
    item.refresh_from_db()
    assert item.escalation_level == 0
    services.escalate(MONDAY + timedelta(days=9))  # seven
    item.refresh_from_db()
    assert item.escalation_level == 1


def test_admin_time_limits_are_used(book, personas, risk):
    TimeLimit.objects.create(step=0, level=Level.WARNING, working_days=1)
    item = _item(book, personas, Level.WARNING, review_on=MONDAY)
    services.escalate(MONDAY + timedelta(days=1))
    item.refresh_from_db()
    assert item.escalation_level == 1


def test_resolved_item_stops_climbing(book, personas, risk):
    item = _item(book, personas, Level.SEVERE, review_on=MONDAY)
    services.escalate(MONDAY + timedelta(days=1))
    item.refresh_from_db()
    services.move_item(actor=personas.head, item=item, to="resolved", reason="已落实")
    services.escalate(MONDAY + timedelta(days=5))
    item.refresh_from_db()
    assert item.escalation_level == 1
    assert Escalation.objects.count() == 1


def test_an_open_measure_due_earlier_makes_the_item_overdue(book, personas):
    item = _item(book, personas, Level.SEVERE, review_on=MONDAY + timedelta(days=30))
    services.add_measure(
        actor=personas.rm, item=item, kind="collection", owner=personas.rm, due_on=MONDAY
    )
    services.escalate(MONDAY + timedelta(days=1))
    item.refresh_from_db()
    assert item.escalation_level == 1


def test_without_a_risk_manager_the_level_has_nobody(book, personas):
    item = _item(book, personas, Level.SEVERE, review_on=MONDAY)
    services.escalate(MONDAY + timedelta(days=1))
    services.escalate(MONDAY + timedelta(days=2))
    item.refresh_from_db()
    assert item.escalation_level == 2
    assert item.escalated_to is None


def test_escalated_to_you_goes_out_at_once_in_wecom(book, personas, settings):
    from notifications import services as notifications
    from notifications.models import Delivery

    settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET = "corp", "1", "s"
    head = personas.head
    head.wecom_userid, head.remind_by_wecom = "liuyang", True
    head.save()
    _item(book, personas, Level.SEVERE, review_on=MONDAY)
    day = MONDAY + timedelta(days=1)
    services.escalate(day)
    notifications.plan_deliveries(day)
    urgent = Delivery.objects.get(user=head, kind="urgent")
    assert urgent.reminder.kind == "watch_escalated"

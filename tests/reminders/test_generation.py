from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers import services as customer_services
from customers.models import AssetTier, CustomerAssistant, KeyContact
from reminders.models import BranchGeneration, LeadTime, Reminder
from reminders.services import generate_for_branch, generate_reminders
from tests.factories import (
    BalanceFactory,
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def kinds(**filters):
    return sorted(
        Reminder.objects.filter(**filters).values_list(
            "kind", "due_on", "lead_days", "recipient__username"
        )
    )


def test_birthdays_three_days_ahead_and_on_the_day(personas):
    customer = CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 6, 13))
    generate_reminders(date(2026, 6, 10))
    generate_reminders(date(2026, 6, 13))
    assert kinds(customer=customer) == [
        ("birthday", date(2026, 6, 13), 0, "rm"),
        ("birthday", date(2026, 6, 13), 3, "rm"),
    ]
    assert Reminder.objects.get(lead_days=3).remind_on == date(2026, 6, 10)


def test_every_day_between_two_runs_is_generated(personas):
    CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 6, 12))
    generate_reminders(date(2026, 6, 8))
    generate_reminders(date(2026, 6, 13))  # 9, 10, 11, 12 and 13 are all covered
    assert sorted(Reminder.objects.values_list("remind_on", flat=True)) == [
        date(2026, 6, 9),
        date(2026, 6, 12),
    ]


def test_a_three_day_outage_is_caught_up(personas, org):
    CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 6, 11))
    generate_reminders(date(2026, 6, 7))
    # Workers down on the 8th, 9th and 10th; the run of the 11th catches up.
    generate_reminders(date(2026, 6, 11))
    assert sorted(Reminder.objects.values_list("remind_on", flat=True)) == [
        date(2026, 6, 8),
        date(2026, 6, 11),
    ]
    assert BranchGeneration.objects.get(branch=org.b1a).last_day == date(2026, 6, 11)


def test_running_twice_creates_nothing_more(personas):
    customer = CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 6, 13))
    HoldingFactory(customer=customer, matures_on=date(2026, 6, 14))
    generate_reminders(date(2026, 6, 13))
    first = Reminder.objects.count()
    BranchGeneration.objects.all().delete()  # even with the markers gone, nothing doubles
    generate_reminders(date(2026, 6, 13))
    call_command("generate_reminders", "--date", "2026-06-13")
    assert Reminder.objects.count() == first == 2


def test_lunar_birthdays_follow_this_years_lunar_date(personas):
    customer = CustomerFactory(
        primary_rm=personas.rm, birth_date=date(1980, 9, 25), lunar_birthday=True
    )
    generate_reminders(date(2026, 9, 27))
    assert kinds(customer=customer) == [("birthday", date(2026, 9, 27), 0, "rm")]


def test_29_february_is_reminded_on_28_february_in_common_years(personas):
    customer = CustomerFactory(primary_rm=personas.rm, birth_date=date(1984, 2, 29))
    generate_reminders(date(2027, 2, 25))
    generate_reminders(date(2027, 2, 28))
    assert kinds(customer=customer) == [
        ("birthday", date(2027, 2, 28), 0, "rm"),
        ("birthday", date(2027, 2, 28), 3, "rm"),
    ]


def test_reminders_cross_the_year_end(personas):
    customer = CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 1, 2))
    generate_reminders(date(2026, 12, 30))
    assert kinds(customer=customer) == [("birthday", date(2027, 1, 2), 3, "rm")]


def test_key_contacts_birthdays(personas):
    company = CustomerFactory(primary_rm=personas.rm, kind="corporate")
    contact = KeyContact.objects.create(customer=company, name="李总", birthday=date(1970, 7, 1))
    generate_reminders(date(2026, 6, 28))
    assert Reminder.objects.get().contact == contact


@pytest.mark.parametrize(("days", "expected"), [(30, [30]), (7, [7]), (1, [1]), (5, [])])
def test_maturities_at_30_7_and_1_days(personas, days, expected):
    holding = HoldingFactory(
        customer=CustomerFactory(primary_rm=personas.rm), matures_on=date(2026, 7, 31)
    )
    generate_reminders(date(2026, 7, 31) - timedelta(days=days))
    assert (
        list(Reminder.objects.filter(holding=holding).values_list("lead_days", flat=True))
        == expected
    )


def test_products_that_do_not_mature_by_category_get_no_reminder(personas):
    demand = ProductFactory(code="DD", category="demand_deposit")
    HoldingFactory(
        customer=CustomerFactory(primary_rm=personas.rm),
        product=demand,
        matures_on=date(2026, 7, 8),
    )
    generate_reminders(date(2026, 7, 7))
    assert not Reminder.objects.exists()


def test_admins_change_the_lead_times(personas):
    LeadTime.objects.create(kind="maturity", product_category="time_deposit", days=14)
    holding = HoldingFactory(
        customer=CustomerFactory(primary_rm=personas.rm), matures_on=date(2026, 7, 15)
    )
    generate_reminders(date(2026, 7, 1))
    assert list(Reminder.objects.filter(holding=holding).values_list("lead_days", flat=True)) == [
        14
    ]


def test_follow_ups_and_overdue_planned_visits(personas):
    customer = CustomerFactory(primary_rm=personas.rm)
    done = VisitFactory(
        customer=customer,
        status="completed",
        completed_at=timezone.now(),
        next_visit_on=date(2026, 5, 20),
    )
    start = datetime(2026, 5, 18, 23, 30, tzinfo=SHANGHAI)
    late = VisitFactory(
        customer=customer, planned_start=start, planned_end=start + timedelta(minutes=20)
    )
    generate_reminders(date(2026, 5, 19))
    generate_reminders(date(2026, 5, 20))
    assert sorted(Reminder.objects.values_list("kind", "visit_id", "remind_on")) == [
        ("follow_up", done.pk, date(2026, 5, 20)),
        ("visit_overdue", late.pk, date(2026, 5, 19)),
    ]


def test_a_tier_at_risk_one_month_before_the_downgrade(personas):
    wealth = AssetTier.objects.get(code="wealth")
    at_risk = CustomerFactory(primary_rm=personas.rm, asset_tier=wealth)
    safe = CustomerFactory(primary_rm=personas.rm, asset_tier=wealth)
    for n, month in enumerate([date(2026, m, 1) for m in range(6, 11)]):
        BalanceFactory(customer=at_risk, month=month, avg_financial_assets=Decimal(500_000))
        BalanceFactory(
            customer=safe, month=month, avg_financial_assets=Decimal(500_000 if n else 2_000_000)
        )
    generate_reminders(date(2026, 11, 1))
    assert kinds(kind="tier_at_risk") == [("tier_at_risk", date(2026, 12, 1), 30, "rm")]
    assert Reminder.objects.get().customer == at_risk


def test_archived_customers_are_not_reminded(personas):
    CustomerFactory(
        primary_rm=personas.rm, birth_date=date(1980, 6, 13), archived_at=timezone.now()
    )
    generate_reminders(date(2026, 6, 13))
    assert not Reminder.objects.exists()


def test_assisting_rms_get_copies_only_if_they_asked(personas):
    customer = CustomerFactory(primary_rm=personas.colleague, birth_date=date(1980, 6, 13))
    CustomerAssistant.objects.create(customer=customer, rm=personas.rm)
    generate_reminders(date(2026, 6, 13))
    assert kinds() == [("birthday", date(2026, 6, 13), 0, "colleague")]
    personas.rm.remind_assisted = True
    personas.rm.save()
    BranchGeneration.objects.all().delete()
    generate_reminders(date(2026, 6, 13))
    assert kinds() == [
        ("birthday", date(2026, 6, 13), 0, "colleague"),
        ("birthday", date(2026, 6, 13), 0, "rm"),
    ]


def test_open_reminders_follow_a_handover_done_ones_stay(personas):
    customer = CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 6, 13))
    HoldingFactory(customer=customer, matures_on=date(2026, 6, 14))
    generate_reminders(date(2026, 6, 13))
    Reminder.objects.filter(kind="birthday").update(done_at=timezone.now())
    customer_services.hand_over(
        actor=personas.head, customer_ids=[customer.pk], to_rm=personas.colleague, reason="调岗"
    )
    assert sorted(Reminder.objects.values_list("kind", "recipient__username")) == [
        ("birthday", "rm"),
        ("maturity", "colleague"),
    ]


def test_a_first_run_starts_today(personas, org):
    CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 1, 5))
    assert generate_for_branch(org.b1a.pk, date(2026, 6, 13)) == 1
    assert not Reminder.objects.exists()


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday"])
def test_the_command_refuses_a_bad_date(db, bad):
    with pytest.raises(CommandError):
        call_command("generate_reminders", "--date", bad)


def test_the_daily_task_fans_out_per_branch(personas, org, monkeypatch):
    from reminders import tasks

    sent = []
    monkeypatch.setattr(tasks.generate_branch_reminders, "delay", lambda *args: sent.append(args))
    tasks.generate_daily_reminders("2026-06-13")
    assert sorted(b for b, _day in sent) == sorted(org.__dict__[k].pk for k in vars(org))
    assert tasks.generate_branch_reminders(org.b1a.pk, "2026-06-13") == 1


@pytest.mark.django_db(transaction=True)
def test_two_generations_at_once_create_each_reminder_once(personas):
    import threading

    from django.db import connection

    for _ in range(20):
        customer = CustomerFactory(primary_rm=personas.rm, birth_date=date(1980, 6, 13))
        HoldingFactory(customer=customer, matures_on=date(2026, 6, 14))
    errors = []

    def run():
        try:
            generate_reminders(date(2026, 6, 13))
        except Exception as error:  # reported below, with the thread's traceback lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Reminder.objects.count() == 40


def test_a_lead_time_for_an_unknown_kind_is_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        LeadTime(kind="typo", days=3).full_clean()
    assert "kind" in error.value.message_dict


def test_the_command_refuses_a_day_after_today_and_writes_nothing(personas):
    """A future --date would report planned visits as overdue before they took place."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    VisitFactory(
        customer=CustomerFactory(primary_rm=personas.rm),
        planned_start=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(CommandError) as refused:
        call_command("generate_reminders", "--date", tomorrow.isoformat())
    assert "今天" in str(refused.value) and refused.value.returncode != 0
    assert not Reminder.objects.exists()
    assert not BranchGeneration.objects.exists()

"""Reminder kinds come from the apps they are about: a module adds one from its own folder
(tests/kind_app here), with no edit in reminders/ and no migration of the reminders table."""

import ast
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from customers.models import TierChange
from reminders.models import BranchGeneration, LeadTime, Reminder
from reminders.registry import KINDS, unregister
from reminders.services import generate_reminders
from tests.conftest import count_queries
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

KEY = "tier_change_ahead"
ROOT = Path(__file__).resolve().parents[2]


def forget_kind_app():
    """Uninstalled: its kind unregistered, and its module forgotten so that the next install
    imports, and so registers, it anew."""
    unregister(KEY)
    sys.modules.pop("tests.kind_app.reminder_kinds", None)
    package = sys.modules.get("tests.kind_app")
    if package is not None and hasattr(package, "reminder_kinds"):
        del package.reminder_kinds


@pytest.fixture
def kind_app():
    """tests.kind_app installed for one test, as a module is by a line of settings."""
    try:
        with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.kind_app"]):
            yield KINDS[KEY]
    finally:
        forget_kind_app()


def tier_change(customer, on, old="金卡", new="白金卡"):
    return TierChange.objects.create(
        customer=customer,
        kind=TierChange.Kind.ASSET,
        old_value=old,
        new_value=new,
        effective_on=on,
        reason="test",
    )


def test_a_modules_kind_is_generated_once_and_a_rerun_creates_nothing(kind_app, personas):
    today = timezone.localdate()
    customer = CustomerFactory(primary_rm=personas.rm)
    change = tier_change(customer, today + timedelta(days=2))
    generate_reminders(today)
    BranchGeneration.objects.all().delete()  # forget the run: the same day is generated again
    generate_reminders(today)
    generate_reminders(today)
    assert list(
        Reminder.objects.values_list(
            "kind", "subject_key", "due_on", "lead_days", "remind_on", "recipient__username"
        )
    ) == [(KEY, f"tierchange:{change.pk}", today + timedelta(days=2), 2, today, "rm")]


def test_the_inbox_shows_a_modules_kind_with_its_link_and_text_in_both_languages(
    kind_app, personas, client_for
):
    today = timezone.localdate()
    customer = CustomerFactory(primary_rm=personas.rm, name="张伟")
    change = tier_change(customer, today + timedelta(days=2))
    generate_reminders(today)
    link = reverse("customers-detail", args=[customer.pk]) + f"#tier-change-{change.pk}"
    client = client_for("rm")

    html = client.get(reverse("reminders-inbox")).content.decode()
    assert "等级即将变动" in html
    assert "张伟将于" in html and "从金卡调整为白金卡。" in html
    assert f'href="{link}"' in html

    personas.rm.language = "en"
    personas.rm.save(update_fields=["language"])
    html = client.get(reverse("reminders-inbox")).content.decode()
    assert "Tier change ahead" in html
    assert "张伟 moves from 金卡 to 白金卡 on " in html
    assert f'href="{link}"' in html


def test_a_modules_kind_needs_no_migration_of_the_reminders_table(kind_app):
    call_command("makemigrations", "reminders", check=True, dry_run=True, verbosity=0)


def test_the_inbox_query_count_does_not_grow_with_a_modules_reminders(
    kind_app, personas, client_for
):
    client = client_for("rm")
    today = timezone.localdate()

    def add(n):
        for _ in range(n):
            customer = CustomerFactory(primary_rm=personas.rm, birth_date=today.replace(year=1980))
            tier_change(customer, today + timedelta(days=2))
        Reminder.objects.all().delete()
        BranchGeneration.objects.all().delete()
        generate_reminders(today)

    add(2)
    few = count_queries(client, reverse("reminders-inbox"))
    add(20)
    assert Reminder.objects.filter(kind=KEY).count() == 22
    assert count_queries(client, reverse("reminders-inbox")) == few


def test_admins_set_a_modules_lead_times_only_while_it_is_installed(personas):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        LeadTime(kind=KEY, days=5).full_clean()
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.kind_app"]):
        try:
            LeadTime(kind=KEY, days=5).full_clean()
            LeadTime.objects.create(kind=KEY, days=5)
            tier_change(CustomerFactory(primary_rm=personas.rm), today + timedelta(days=5))
            generate_reminders(today)
        finally:
            forget_kind_app()
    assert list(Reminder.objects.values_list("kind", "lead_days")) == [(KEY, 5)]


def test_a_reminder_whose_subject_is_gone_reads_its_kind_and_customer(kind_app, personas):
    today = timezone.localdate()
    customer = CustomerFactory(primary_rm=personas.rm, name="李娜")
    change = tier_change(customer, today + timedelta(days=2))
    generate_reminders(today)
    change.delete()
    reminder = Reminder.objects.for_display().get()
    assert reminder.subject is None
    assert reminder.message == "等级即将变动 · 李娜"
    assert reminder.link == reverse("customers-detail", args=[customer.pk])


def test_the_kinds_are_registered_by_the_apps_they_are_about():
    where = {key: kind.find_due.__module__ for key, kind in KINDS.items()}
    assert where == {
        "birthday": "customers.reminder_kinds",
        "contact_birthday": "customers.reminder_kinds",
        "maturity": "customers.reminder_kinds",
        "tier_at_risk": "customers.reminder_kinds",
        "follow_up": "visits.reminder_kinds",
        "visit_overdue": "visits.reminder_kinds",
        "watch_review": "watchlists.reminder_kinds",
        "watch_measure": "watchlists.reminder_kinds",
        "loan_check": "watchlists.reminder_kinds",
        "watch_escalated": "watchlists.reminder_kinds",
        "opportunity_next_step": "opportunities.reminder_kinds",
        "opportunity_close_passed": "opportunities.reminder_kinds",
        "opportunity_stale": "opportunities.reminder_kinds",
        "target_list_deadline": "opportunities.reminder_kinds",
        "ticket_near_limit": "service.reminder_kinds",
        "ticket_past_limit": "service.reminder_kinds",
        "ticket_escalated": "service.reminder_kinds",
        "rectification_due": "service.reminder_kinds",
        "care_list_ready": "service.reminder_kinds",
        "thank_you_due": "service.reminder_kinds",
    }


def imported_modules(package):
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path.name, node.module
            elif isinstance(node, ast.Import):
                yield from ((path.name, alias.name) for alias in node.names)


def test_reminders_imports_nothing_from_visits():
    assert [
        (name, module)
        for name, module in imported_modules("reminders")
        if module.split(".")[0] == "visits"
    ] == []


def test_visits_reads_reminders_through_their_model_not_a_view_module():
    assert [
        (name, module) for name, module in imported_modules("visits") if module == "reminders.views"
    ] == []


def every_kind_of_reminder(rm, n):
    """n reminders of each of the six kinds, all for ``rm`` and remind_on today (no day is
    the 1st for every kind, so the tier-at-risk rows are written as the engine would)."""
    from datetime import datetime

    from customers.models import KeyContact
    from tests.factories import HoldingFactory, VisitFactory

    today = timezone.localdate()
    Reminder.objects.all().delete()
    BranchGeneration.objects.all().delete()
    rows = []
    for _ in range(n):
        customer = CustomerFactory(primary_rm=rm, birth_date=today.replace(year=1980))
        contact = KeyContact.objects.create(customer=customer, name="王总", birthday=today)
        holding = HoldingFactory(customer=customer, matures_on=today + timedelta(days=7))
        done = VisitFactory(
            customer=customer, status="completed", completed_at=timezone.now(), next_step="回访"
        )
        yesterday = today - timedelta(days=1)
        start = timezone.make_aware(datetime.combine(yesterday, datetime.min.time()))
        late = VisitFactory(customer=customer, planned_start=start + timedelta(hours=9))
        for kind, subject, lead in [
            ("birthday", f"customer:{customer.pk}", 0),
            ("contact_birthday", f"contact:{contact.pk}", 0),
            ("maturity", f"holding:{holding.pk}", 7),
            ("tier_at_risk", f"customer:{customer.pk}", 30),
            ("follow_up", f"visit:{done.pk}", 0),
            ("visit_overdue", f"visit:{late.pk}", -1),
        ]:
            rows.append(
                Reminder(
                    kind=kind,
                    customer=customer,
                    subject_key=subject,
                    due_on=today + timedelta(days=lead),
                    lead_days=lead,
                    remind_on=today,
                    recipient=rm,
                )
            )
    Reminder.objects.bulk_create(rows)


def test_pages_load_subjects_with_one_query_per_kind_whatever_the_rows(
    personas, client_for, api_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reminders.models import Digest
    from reminders.services import send_digest
    from visits.models import CalendarFeed

    client, api = client_for("rm"), api_for("rm")
    feed = reverse("visits-feed", args=[CalendarFeed.for_user(personas.rm).token])
    personas.rm.email = "rm@example.com"
    personas.rm.save(update_fields=["email"])

    def counts(n):
        every_kind_of_reminder(personas.rm, n)
        pages = [count_queries(client, reverse("reminders-inbox"))]
        pages.append(count_queries(client, feed))
        with CaptureQueriesContext(connection) as api_queries:
            body = api.get("/api/reminders/").json()
        pages.append(len(api_queries))
        assert body["results"]
        assert all(r["message"] and " · " not in r["message"] for r in body["results"])
        Digest.objects.all().delete()
        Reminder.objects.update(emailed_at=None)
        with CaptureQueriesContext(connection) as digest_queries:
            assert send_digest(personas.rm, timezone.localdate())
        pages.append(len(digest_queries))
        return pages

    assert counts(2) == counts(8)

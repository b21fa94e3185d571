"""Target lists (名单制营销) and the reminder kinds of opportunities."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, TargetEntry, TargetList
from reminders.models import Reminder
from reminders.services import generate_reminders
from tests.factories import CustomerFactory, HoldingFactory, ProductFactory

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db


def test_a_head_turns_a_filter_into_a_target_list_and_each_name_goes_to_its_rm(
    client_for, personas, book
):
    loan = ProductFactory(code="BL", category="business_loan", matures=False)
    no_loan = CustomerFactory(kind="corporate", primary_rm=personas.rm, id_type="", id_number="")
    with_loan = CustomerFactory(kind="corporate", primary_rm=personas.rm, id_type="", id_number="")
    HoldingFactory(customer=with_loan, product=loan)
    CustomerFactory(kind="corporate", primary_rm=personas.other_rm, id_type="", id_number="")
    deadline = timezone.localdate() + timedelta(days=14)
    response = client_for("head").post(
        reverse("opportunities-target-create"),
        {"theme": "无贷户营销", "deadline": deadline.isoformat(), "preset": "no_loan"},
    )
    assert response.status_code == 302
    target = TargetList.objects.get()
    assert list(target.entries.values_list("customer", "rm")) == [(no_loan.pk, personas.rm.pk)]

    by_query = client_for("head").post(
        reverse("opportunities-target-create"),
        {"theme": "客户经理张伟", "deadline": deadline.isoformat(), "query": "kind=individual"},
    )
    assert by_query.status_code == 302
    names = set(
        TargetList.objects.get(theme="客户经理张伟").entries.values_list("customer", flat=True)
    )
    assert book.other.pk not in names and book.mine.pk in names


def test_feedback_per_name_interested_opens_an_opportunity_and_coverage_rolls_up(
    client_for, personas, book
):
    target = TargetList.objects.create(
        theme="大额存单", deadline=timezone.localdate(), created_by=personas.head
    )
    for customer in (book.mine, book.assisted, book.colleagues, book.outlet):
        TargetEntry.objects.create(
            target_list=target, customer=customer, rm=customer.primary_rm, branch=customer.branch
        )
    mine = TargetEntry.objects.get(customer=book.mine)
    client = client_for("rm")
    refused = client.post(
        reverse("opportunities-target-entry", args=[mine.pk]), {"feedback": "not_interested"}
    )
    assert "note" in refused.context["form"].errors
    client.post(reverse("opportunities-target-entry", args=[mine.pk]), {"feedback": "interested"})
    mine.refresh_from_db()
    assert mine.opportunity.source == "target_list" and mine.opportunity.owner == personas.rm
    colleague = TargetEntry.objects.get(customer=book.colleagues)
    client_for("colleague").post(
        reverse("opportunities-target-entry", args=[colleague.pk]), {"feedback": "unreachable"}
    )
    page = client_for("head").get(reverse("opportunities-target-detail", args=[target.pk]))
    rows = {row["branch"].code: row for row in page.context["coverage"]}
    # B1 holds all four names: two answered, one contacted (interested), one converted.
    assert (rows["B1"]["names"], rows["B1"]["coverage"], rows["B1"]["contact_rate"]) == (
        4,
        50.0,
        25.0,
    )
    assert rows["B1"]["conversion"] == 25.0
    assert rows["B1A-O"]["names"] == 1 and rows["B1A-O"]["coverage"] == 0.0
    assert "B2" not in rows


def test_the_reminder_kinds(personas, book):
    today = timezone.localdate()
    due = make_opportunity(book.mine, personas.rm, next_step_on=today)
    passed = make_opportunity(book.mine, personas.rm, expected_close_on=today - timedelta(days=1))
    stale = make_opportunity(book.mine, personas.rm)
    Opportunity.objects.filter(pk=stale.pk).update(
        stage_entered_at=timezone.now() - timedelta(days=15)
    )
    target = TargetList.objects.create(
        theme="名单", deadline=today + timedelta(days=3), created_by=personas.head
    )
    entry = TargetEntry.objects.create(
        target_list=target, customer=book.mine, rm=personas.rm, branch=book.mine.branch
    )
    generate_reminders(today)
    kinds = {
        (r.kind, r.subject_key)
        for r in Reminder.objects.filter(recipient=personas.rm, remind_on=today)
        if r.kind.startswith(("opportunity", "target"))
    }
    assert ("opportunity_next_step", f"opportunity:{due.pk}") in kinds
    assert ("opportunity_close_passed", f"opportunity:{passed.pk}") in kinds
    assert ("opportunity_stale", f"opportunity:{stale.pk}") in kinds
    assert ("target_list_deadline", f"targetentry:{entry.pk}") in kinds
    for reminder in Reminder.objects.visible_to(personas.rm).for_display():
        assert reminder.message and reminder.link

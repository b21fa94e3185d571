"""Generating reminders: every one, exactly once, with no day skipped."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from accounts.models import Branch

from .models import BranchGeneration, Reminder
from .registry import KINDS, leads_for

BATCH = 5000


def reminders_for_day(day: date, branch_ids) -> list[Reminder]:
    rows = []
    for kind in KINDS.values():
        rows += kind.rows(day, branch_ids, leads_for(kind))
    return rows


def generate_for_branch(branch_id: int, until: date) -> int:
    """Create the branch's reminders for every day after its last generated day, up to
    ``until``; a branch never generated before starts at ``until``.

    Each day is one transaction that inserts with conflict-ignore and then moves the
    branch's marker forward, so an interrupted run resumes where it stopped and two runs at
    once create every reminder once. Returns how many days were generated.
    """
    marker = (
        BranchGeneration.objects.filter(branch_id=branch_id)
        .values_list("last_day", flat=True)
        .first()
    )
    day = marker + timedelta(days=1) if marker else until
    days = 0
    while day <= until:
        with transaction.atomic():
            Reminder.objects.bulk_create(
                reminders_for_day(day, [branch_id]), ignore_conflicts=True, batch_size=BATCH
            )
            moved = BranchGeneration.objects.filter(branch_id=branch_id, last_day__lt=day).update(
                last_day=day
            )
            if not moved:
                BranchGeneration.objects.bulk_create(
                    [BranchGeneration(branch_id=branch_id, last_day=day)], ignore_conflicts=True
                )
        days += 1
        day += timedelta(days=1)
    return days


def generate_reminders(for_date: date) -> int:
    """All branches, synchronously (the command and the tests); Celery fans out per branch."""
    return sum(
        generate_for_branch(pk, for_date) for pk in Branch.objects.values_list("pk", flat=True)
    )


@transaction.atomic
def follow_handover(*, customer_ids, to_rm) -> int:
    """Open reminders of customers who changed hands go to the new primary RM; copies held by
    assisting RMs stay theirs. Returns how many moved."""
    from customers.models import CustomerAssistant

    assisting = set(
        CustomerAssistant.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "rm_id"
        )
    )
    open_rows = list(
        Reminder.objects.filter(customer_id__in=customer_ids, done_at__isnull=True)
        .exclude(recipient=to_rm)
        .select_for_update()
    )
    held_by_new = set(
        Reminder.objects.filter(customer_id__in=customer_ids, recipient=to_rm).values_list(
            "kind", "subject_key", "due_on", "lead_days"
        )
    )
    moved, duplicates = [], []
    for row in open_rows:
        if (row.customer_id, row.recipient_id) in assisting:
            continue
        key = (row.kind, row.subject_key, row.due_on, row.lead_days)
        if key in held_by_new:
            duplicates.append(row.pk)
        else:
            held_by_new.add(key)
            moved.append(row.pk)
    Reminder.objects.filter(pk__in=duplicates).delete()
    Reminder.objects.filter(Q(pk__in=moved)).update(recipient=to_rm)
    return len(moved)

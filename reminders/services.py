"""Generating reminders: every one, exactly once, with no day skipped."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch

from .models import SUBJECT_COLUMNS, BranchGeneration, Reminder
from .registry import KINDS, Due, Kind, leads_for

BATCH = 5000


def current_leads() -> dict:
    """Each kind's lead times, read once per run rather than once per branch and day."""
    return {code: leads_for(kind) for code, kind in KINDS.items()}


def _row(kind: Kind, day: date, due: Due) -> Reminder:
    row = Reminder(
        kind=kind.key,
        customer_id=due.customer_id,
        subject_key=f"{kind.subject_type}:{due.subject_id}",
        due_on=due.due_on,
        lead_days=due.lead_days,
        remind_on=day,
        recipient_id=due.recipient_id,
    )
    column = SUBJECT_COLUMNS.get(kind.subject_type)
    if column:
        setattr(row, column, due.subject_id)
    return row


def _copies_for_assisting_rms(rows: list[Reminder]) -> list[Reminder]:
    """Copies for assisting RMs who asked to be reminded of the customers they assist: one
    query for every kind of the day."""
    from customers.models import CustomerAssistant

    customer_ids = {r.customer_id for r in rows}
    if not customer_ids:
        return []
    by_customer: dict[int, list[int]] = {}
    for customer_id, rm_id in CustomerAssistant.objects.filter(
        customer_id__in=customer_ids, rm__is_active=True, rm__remind_assisted=True
    ).values_list("customer_id", "rm_id"):
        by_customer.setdefault(customer_id, []).append(rm_id)
    copies = []
    for row in rows:
        for rm_id in by_customer.get(row.customer_id, []):
            if rm_id != row.recipient_id:
                copy = Reminder(
                    **{
                        f.attname: getattr(row, f.attname)
                        for f in Reminder._meta.concrete_fields
                        if f.attname != "id"
                    }
                )
                copy.recipient_id = rm_id
                copies.append(copy)
    return copies


def reminders_for_day(day: date, branch_ids, leads: dict) -> list[Reminder]:
    """Every kind's reminders that come on ``day`` for these branches (unsaved), with the
    copies for assisting RMs of the kinds that make them."""
    rows, to_copy = [], []
    for code, kind in KINDS.items():
        found = [_row(kind, day, due) for due in kind.find_due(day, branch_ids, leads[code])]
        rows += found
        if kind.copy_to_assisting_rms:
            to_copy += found
    return rows + _copies_for_assisting_rms(to_copy)


def generate_for_branch(branch_id: int, until: date, leads: dict | None = None) -> int:
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
    leads = leads if leads is not None else current_leads()
    days = 0
    while day <= until:
        with transaction.atomic():
            Reminder.objects.bulk_create(
                reminders_for_day(day, [branch_id], leads), ignore_conflicts=True, batch_size=BATCH
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
    leads = current_leads()
    branch_ids = Branch.objects.values_list("pk", flat=True)
    return sum(generate_for_branch(pk, for_date, leads) for pk in branch_ids)


# What a user does with one of their reminders: the inbox page and the API both call these,
# and each is one conditional UPDATE, so a second click, a retried request or the other
# channel acting meanwhile never moves a reminder twice or back. Callers have already found
# the reminder through ``Reminder.objects.visible_to(user)``.

STATE_FIELDS = ["read_at", "done_at", "snoozed_until"]


def _reload(reminder: Reminder) -> None:
    reminder.refresh_from_db(fields=STATE_FIELDS)


def mark_read(*, reminder: Reminder) -> bool:
    """Mark a reminder read; the first reading time is kept. Returns whether it changed."""
    changed = Reminder.objects.filter(pk=reminder.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _reload(reminder)
    return bool(changed)


def mark_done(*, reminder: Reminder) -> bool:
    """Close a reminder; the first closing time is kept. Returns whether it changed."""
    changed = Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True).update(
        done_at=timezone.now()
    )
    _reload(reminder)
    return bool(changed)


def reopen(*, reminder: Reminder) -> bool:
    """Open a done reminder again (only on request: a snooze never does it)."""
    changed = Reminder.objects.filter(pk=reminder.pk, done_at__isnull=False).update(done_at=None)
    _reload(reminder)
    return bool(changed)


def snooze(*, reminder: Reminder, until: date | None, today: date) -> bool:
    """Put an open reminder off until ``until`` (``None`` brings it back at once).

    Rule: only an open reminder is snoozed, and only to a day after today. A past day or a
    done reminder raises ValidationError (codes ``past`` and ``done``) and changes nothing;
    the same snooze twice changes nothing more. Returns whether it changed.
    """
    if until is not None and until <= today:
        raise ValidationError(_("Choose a day after today to snooze until."), code="past")
    rows = Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True)
    if until is None:
        rows = rows.filter(snoozed_until__isnull=False)
    else:
        rows = rows.exclude(snoozed_until=until)
    changed = rows.update(snoozed_until=until)
    _reload(reminder)
    if not changed and reminder.done_at is not None:
        raise ValidationError(_("This reminder is already done."), code="done")
    return bool(changed)


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


def send_digest(user, day) -> bool:
    """Send the user's digest of the reminders due by ``day`` that no email has carried yet.

    Rule: at most one digest per user and day, claimed by a conditional UPDATE before
    sending; an RM with nothing due gets none; if the send fails the claim is released and
    the error raised, so a retry sends it once. Returns whether an email went out.
    """
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    from .models import Digest

    if not user.is_active or not user.email:
        return False
    Digest.objects.bulk_create([Digest(user=user, day=day)], ignore_conflicts=True)
    digest = Digest.objects.get(user=user, day=day)
    now = timezone.now()
    claimed = Digest.objects.filter(
        pk=digest.pk, claimed_at__isnull=True, sent_at__isnull=True
    ).update(claimed_at=now)
    if not claimed:
        return False
    reminders = list(
        Reminder.objects.visible_to(user)
        .due(day)
        .filter(emailed_at__isnull=True)
        .for_display()
        .order_by("kind", "due_on", "id")
    )
    if not reminders:
        Digest.objects.filter(pk=digest.pk).update(sent_at=now, reminder_count=0)
        return False
    try:
        with translation.override(user.language):
            context = {"user": user, "day": day, "reminders": reminders}
            subject = render_to_string("reminders/digest_subject.txt", context).strip()
            email = EmailMultiAlternatives(
                subject,
                render_to_string("reminders/digest.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
            email.attach_alternative(
                render_to_string("reminders/digest.html", context), "text/html"
            )
            email.send()
    except Exception:
        Digest.objects.filter(pk=digest.pk).update(claimed_at=None)
        raise
    Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(emailed_at=now)
    Digest.objects.filter(pk=digest.pk).update(sent_at=now, reminder_count=len(reminders))
    return True


def digest_recipients(day):
    """Active users with an email address and at least one due reminder not yet emailed."""
    from accounts.models import User

    waiting = Reminder.objects.due(day).filter(emailed_at__isnull=True).values("recipient_id")
    return User.objects.filter(is_active=True, pk__in=waiting).exclude(email="")

"""Planning and sending deliveries: every message a row first, claimed once, retried with
backoff, kept with its error when it finally fails."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from reminders.models import Reminder

from .channels import CHANNELS, FinalError, RetryableError
from .models import Delivery

# A reminder of this kind, this many days ahead or fewer, goes out at once as its own
# message (a maturity tomorrow), besides being in the digest.
URGENT_LEADS = {"maturity": 1}
# How many reminders a digest lists; the rest are counted.
DIGEST_LINES = 10
# Seconds before the 2nd, 3rd, … attempt; after the last attempt the delivery has failed.
BACKOFF_SECONDS = [60, 300, 900, 3600]
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# A delivery claimed longer ago than this belongs to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=15)


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th attempt failed."""
    return BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]


def urgent_q() -> Q:
    return Q(
        *[Q(kind=kind, lead_days__lte=lead) for kind, lead in URGENT_LEADS.items()], _connector=Q.OR
    )


def plan_deliveries(day: date) -> list[int]:
    """Create the day's deliveries and return the ids of those waiting to be sent now.

    Rule: for each channel that is on, a user who chose it (and has what it needs, e.g. a
    WeCom user id) and is active gets one digest for the day if a reminder of theirs is due,
    and one message per urgent reminder that comes up that day (``URGENT_LEADS``). Found
    with one query per channel and kind; inserted with conflict-ignore on the natural key, so
    a rerun or two planners at once create each delivery once.
    """
    rows = []
    due = Reminder.objects.due(day)
    for channel in CHANNELS.values():
        if not channel.is_configured():
            continue
        users = _channel_users(channel)
        for user_id in users.filter(pk__in=due.values("recipient_id")).values_list("pk", flat=True):
            rows.append(
                Delivery(user_id=user_id, channel=channel.code, kind=Delivery.Kind.DIGEST, day=day)
            )
        rows += _urgent_rows(channel, users, due.filter(urgent_q(), remind_on=day), day)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    # A delivery waiting for its retry is left to it, so a rerun never shortens the backoff.
    return list(
        Delivery.objects.filter(day=day, state=Delivery.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _urgent_rows(channel, users, reminders, day) -> list[Delivery]:
    """One urgent message on ``channel`` per reminder of ``reminders`` whose recipient is
    among ``users`` (those who chose the channel)."""
    return [
        Delivery(
            user_id=user_id,
            channel=channel.code,
            kind=Delivery.Kind.URGENT,
            day=day,
            reminder_id=reminder_id,
        )
        for reminder_id, user_id in reminders.filter(recipient__in=users)
        .values_list("pk", "recipient_id")
        .order_by("pk")
    ]


def deliver_urgent_now(reminders, day) -> None:
    """Send these saved reminders as urgent messages at once, not at the next planning (an
    escalation): a row per channel each recipient chose, created with conflict-ignore on the
    natural key (so the morning's planner or a rerun sends nothing twice), each sent once the
    transaction commits."""
    from .tasks import deliver

    rows = []
    for channel in CHANNELS.values():
        if channel.is_configured():
            rows += _urgent_rows(channel, _channel_users(channel), reminders, day)
    if not rows:
        return
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    for pk in Delivery.objects.filter(
        kind=Delivery.Kind.URGENT, reminder__in=reminders, state=Delivery.State.PENDING, attempts=0
    ).values_list("pk", flat=True):
        transaction.on_commit(lambda pk=pk: deliver.delay(pk))


def _channel_users(channel):
    """The active users who chose ``channel`` and have what it needs."""
    return User.objects.filter(
        channel.user_filter, is_active=True, **{channel.preference_field: True}
    )


def _greeting(user) -> str:
    return user.get_full_name() or user.username


def compose(delivery: Delivery, private: bool) -> str | None:
    """The text of a delivery in the user's language, or None when nothing is left to say
    (the reminders were done, snoozed or left the user's scope since planning).

    Rule: reminders are read through ``Reminder.objects.visible_to(user)``; a shared channel
    (``private`` false: a group chat) gets only how many reminders wait, never what they say.
    """
    user = delivery.user
    reminders = Reminder.objects.visible_to(user).due(delivery.day)
    with translation.override(user.language):
        day = formats.date_format(delivery.day, "DATE_FORMAT")
        if delivery.kind == Delivery.Kind.URGENT:
            reminder = reminders.filter(pk=delivery.reminder_id).first()
            if reminder is None:
                return None
            if not private:
                return _("%(name)s, an urgent reminder is waiting for you in the CRM.") % {
                    "name": _greeting(user)
                }
            return _("Urgent: %(message)s") % {"message": reminder.message}
        total = reminders.count()
        if not total:
            return None
        said = {"name": _greeting(user), "day": day, "count": total}
        if not private:
            return (
                _("%(name)s, %(count)s reminders for %(day)s are waiting for you in the CRM.")
                % said
            )
        heading = _("%(name)s, your reminders for %(day)s: %(count)s.") % said
        lines = [heading]
        shown = list(reminders.order_by("kind", "due_on", "id")[:DIGEST_LINES])
        lines += [f"{number}. {reminder.message}" for number, reminder in enumerate(shown, 1)]
        if total > len(shown):
            lines.append(
                _("%(count)s more in the CRM's reminders page.") % {"count": total - len(shown)}
            )
        return "\n".join(lines)


def _finish(delivery_id: int, **fields) -> None:
    Delivery.objects.filter(pk=delivery_id, state=Delivery.State.SENDING).update(**fields)


def send_delivery(delivery_id: int) -> bool:
    """Send one delivery if this caller wins its claim. Returns whether a message went out.

    Rule: the claim is one conditional UPDATE from ``pending`` to ``sending`` (with the
    attempt counted), so two workers never send the same delivery. Afterwards:
    sent → ``sent``; nothing left to say, or the user no longer chooses the channel →
    ``skipped``; a final error, or a retryable one on
    the last attempt (``MAX_ATTEMPTS``) → ``failed`` with the error kept; any other failure
    → back to ``pending`` with the error and ``next_attempt_at``, and the error is raised
    with ``retry_in`` (seconds) for the caller to try again. Reminders are never changed.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, state=Delivery.State.PENDING).update(
        state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    delivery = Delivery.objects.select_related("user", "user__branch").get(pk=delivery_id)
    channel = CHANNELS.get(delivery.channel)
    try:
        if channel is None:
            raise FinalError(f"unknown channel {delivery.channel}")
        chosen = getattr(delivery.user, channel.preference_field) and delivery.user.is_active
        # A user who turned the channel off (or left) since the plan gets nothing.
        text = compose(delivery, channel.private) if chosen else None
        if text is None:
            _finish(delivery_id, state=Delivery.State.SKIPPED, sent_at=timezone.now())
            return False
        channel.send(delivery, text)
    except FinalError as error:
        _finish(delivery_id, state=Delivery.State.FAILED, last_error=str(error))
        return False
    except Exception as error:
        message = str(error) if isinstance(error, RetryableError) else repr(error)
        if delivery.attempts >= MAX_ATTEMPTS:
            _finish(delivery_id, state=Delivery.State.FAILED, last_error=message)
            return False
        wait = backoff(delivery.attempts)
        _finish(
            delivery_id,
            state=Delivery.State.PENDING,
            claimed_at=None,
            last_error=message,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
        error.retry_in = wait
        raise
    _finish(delivery_id, state=Delivery.State.SENT, sent_at=timezone.now(), last_error="")
    return True


def release_stale_claims() -> int:
    """Deliveries left ``sending`` by a worker that died go back to ``pending``.

    A worker that died after WeCom accepted the message but before the row said so makes
    this send it again: once more at most, and only after ``STALE_CLAIM``.
    """
    return Delivery.objects.filter(
        state=Delivery.State.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM
    ).update(state=Delivery.State.PENDING, claimed_at=None)


def waiting_deliveries():
    """Pending deliveries whose next attempt is due and whose task may have been lost: a
    retry past its time by a few minutes, or a first attempt never picked up."""
    now = timezone.now()
    late = now - timedelta(minutes=5)
    return Delivery.objects.filter(state=Delivery.State.PENDING).filter(
        Q(next_attempt_at__lt=late) | Q(next_attempt_at__isnull=True, created_at__lt=late)
    )

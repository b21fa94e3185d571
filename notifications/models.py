"""Deliveries: one row per message to one user on one channel, before anything is sent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Delivery(models.Model):
    """One message to one user through one channel: a morning digest (``day``) or one
    urgent reminder (``reminder``).

    Rules: its natural key is unique (a digest: user, channel, day; an urgent reminder:
    user, channel, reminder), so planning twice or two planners at once create it once.
    Whoever moves it from ``pending`` to ``sending`` with one conditional UPDATE sends it
    (``services.send_delivery``); a retryable failure puts it back to ``pending`` with a
    later ``next_attempt_at``, and the last failure leaves it ``failed`` with its error.
    A delivery never changes the reminders it carries: the inbox is not affected.
    """

    class Kind(models.TextChoices):
        DIGEST = "digest", _("Morning digest")
        URGENT = "urgent", _("Urgent reminder")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery", "Waiting")
        SENDING = "sending", pgettext_lazy("delivery", "Sending")
        SENT = "sent", pgettext_lazy("delivery", "Sent")
        SKIPPED = "skipped", pgettext_lazy("delivery", "Nothing to send")
        FAILED = "failed", pgettext_lazy("delivery", "Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=30)
    kind = models.CharField(pgettext_lazy("delivery", "kind"), max_length=10, choices=Kind.choices)
    day = models.DateField(_("day"))
    reminder = models.ForeignKey(
        "reminders.Reminder",
        verbose_name=_("reminder"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel", "day"],
                condition=models.Q(kind="digest"),
                name="delivery_digest_once",
            ),
            models.UniqueConstraint(
                fields=["user", "channel", "reminder"],
                condition=models.Q(kind="urgent"),
                name="delivery_urgent_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="digest", reminder__isnull=True)
                | models.Q(kind="urgent", reminder__isnull=False),
                name="delivery_kind_matches_subject",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.channel} {self.kind} {self.day} → {self.user_id}: {self.state}"

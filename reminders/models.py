from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Branch
from customers.models import Customer, Holding, KeyContact


class ReminderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own reminders, about customers they may still see.

        Rule: reminders are personal (recipient = user) and follow the customer scope, so a
        reminder about a customer who has since left the user's scope is not shown.
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user, customer__in=Customer.objects.visible_to(user))

    def due(self, today):
        """Open reminders whose day has come and that are not snoozed past today."""
        return self.filter(done_at__isnull=True, remind_on__lte=today).filter(
            models.Q(snoozed_until__isnull=True) | models.Q(snoozed_until__lte=today)
        )


class Reminder(models.Model):
    """A reminder is a row before it is an email or a line in the inbox.

    Its natural key (kind, subject, the date it is about, the lead, the recipient) is unique,
    so a rerun, a retry or two workers at once insert it once.
    """

    kind = models.CharField(pgettext_lazy("reminder", "kind"), max_length=30)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="reminders"
    )
    subject_key = models.CharField(max_length=40)  # "customer:12", "holding:7", "visit:9", …
    holding = models.ForeignKey(
        Holding, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        KeyContact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField(_("about"))
    lead_days = models.SmallIntegerField(_("days ahead"), default=0)
    remind_on = models.DateField(_("remind on"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateField(null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["remind_on", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key", "due_on", "lead_days", "recipient"],
                name="reminder_natural_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "remind_on"], name="reminder_inbox"),
            models.Index(fields=["customer"], name="reminder_customer"),
        ]

    def __str__(self):
        return f"{self.kind} {self.subject_key} {self.due_on} → {self.recipient_id}"

    @property
    def is_open(self):
        return self.done_at is None

    @property
    def state(self):
        if self.done_at:
            return "done"
        if self.snoozed_until and self.snoozed_until > timezone.localdate():
            return "snoozed"
        return "read" if self.read_at else "unread"

    @property
    def message(self):
        from .registry import KINDS

        kind = KINDS.get(self.kind)
        return kind.message(self) if kind else self.kind

    @property
    def kind_label(self):
        from .registry import KINDS

        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind


class LeadTime(models.Model):
    """How many days ahead a kind of reminder comes (per product category for maturities)."""

    kind = models.CharField(pgettext_lazy("reminder", "kind"), max_length=30)
    product_category = models.CharField(_("product category"), max_length=20, blank=True)
    days = models.PositiveSmallIntegerField(_("days ahead"))

    class Meta:
        verbose_name = _("lead time")
        verbose_name_plural = _("lead times")
        ordering = ["kind", "product_category", "-days"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "product_category", "days"], name="lead_time_unique"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.product_category} {self.days}"

    def clean(self):
        from .registry import KINDS

        if self.kind not in KINDS:
            raise ValidationError(
                {"kind": _("Unknown kind; use one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}}
            )


class BranchGeneration(models.Model):
    """The last day whose reminders a branch has fully generated: the next run starts the day
    after, so a day the workers were down is caught up rather than skipped."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="+")
    last_day = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder generation of a branch")
        verbose_name_plural = _("reminder generations of the branches")

    def __str__(self):
        return f"{self.branch_id}: {self.last_day}"


class Digest(models.Model):
    """One user's morning email for one day. Whoever flips ``claimed_at`` from empty sends
    it, so two workers never send it twice; a failed send clears the claim for a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("digest email")
        verbose_name_plural = _("digest emails")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_per_day")]

    def __str__(self):
        return f"{self.user} {self.day}"

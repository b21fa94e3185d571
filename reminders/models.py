from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
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

    def for_display(self):
        """Ready to show: the customer joined, and the subjects loaded by their kinds with one
        query per kind on the page (never one per reminder), for ``message`` and ``link``."""
        return self.select_related("customer").prefetch_related("subject")


class SubjectDescriptor:
    """``reminder.subject``: what the reminder is about, loaded by its kind.

    Rule: a page loads its reminders' subjects with ONE query per kind present that has
    ``load_subjects`` (``prefetch_related("subject")``, which ``for_display()`` adds), so its
    query count depends on the kinds shown, never on the rows; a reminder read alone loads its
    own on first use. A kind without ``load_subjects`` loads nothing: its subject is the
    reminder's customer when its subject type is "customer", else ``None`` (its message and
    link need only the customer, the dates and ``subject_pk``). The subject is also ``None``
    when the kind is not installed or the record is gone.
    """

    cache_name = "subject"

    def is_cached(self, instance):
        return self.cache_name in instance._state.fields_cache

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        if not self.is_cached(instance):
            objects, _, _, _, _, _ = self.get_prefetch_querysets([instance])
            instance._state.fields_cache[self.cache_name] = objects[0] if objects else None
        return instance._state.fields_cache[self.cache_name]

    def __set__(self, instance, value):
        instance._state.fields_cache[self.cache_name] = value

    def get_prefetch_querysets(self, instances, querysets=None):
        """The hook ``prefetch_related`` calls: each kind loads the ids of its reminders at
        once; the subjects are matched back by (kind, subject key), or by the very customer
        object for kinds about the customer."""
        from .registry import KINDS

        def key_of(reminder):
            kind = KINDS.get(reminder.kind)
            if kind is not None and kind.load_subjects is None:
                return ("customer", id(reminder.customer))
            return (reminder.kind, reminder.subject_key)

        ids_by_kind: dict[str, set[int]] = {}
        found, keys = [], {}
        for reminder in instances:
            kind = KINDS.get(reminder.kind)
            if kind is None:
                continue
            if kind.load_subjects is None:
                if kind.subject_type == "customer":
                    found.append(reminder.customer)
                    keys[id(reminder.customer)] = key_of(reminder)
            elif reminder.subject_pk is not None:
                ids_by_kind.setdefault(reminder.kind, set()).add(reminder.subject_pk)
        for code, ids in ids_by_kind.items():
            kind = KINDS[code]
            for subject in kind.load_subjects(ids):
                found.append(subject)
                keys[id(subject)] = (code, f"{kind.subject_type}:{subject.pk}")
        return (found, lambda subject: keys[id(subject)], key_of, True, self.cache_name, False)


class Reminder(models.Model):
    """A reminder is a row before it is an email or a line in the inbox.

    Its natural key (kind, subject, the date it is about, the lead, the recipient) is unique,
    so a rerun, a retry or two workers at once insert it once.
    """

    kind = models.CharField(pgettext_lazy("reminder", "kind"), max_length=30)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="reminders"
    )
    # What the reminder is about, as "<subject type>:<id>" ("customer:12", "holding:7"); its
    # kind loads it (``subject``), so a new kind needs no column of its own.
    subject_key = models.CharField(max_length=40)
    # The first three subject types had a column each before kinds came from the apps. The
    # engine still fills them (the database deletes a reminder with its holding, contact or
    # visit, and the existing tests and reports read them); nothing in reminders/ reads them,
    # and a new kind leaves them empty. See SUBJECT_COLUMNS.
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
    subject = SubjectDescriptor()

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
    def subject_pk(self):
        """The subject's id, read from ``subject_key`` without loading it."""
        _type, _sep, pk = self.subject_key.partition(":")
        return int(pk) if pk.isdigit() else None

    def _kind_with_subject(self):
        """The reminder's kind, unless it is not installed or the subject it loads is gone."""
        from .registry import KINDS

        kind = KINDS.get(self.kind)
        if kind is None or (kind.load_subjects is not None and self.subject is None):
            return None
        return kind

    @property
    def message(self):
        """The kind's sentence; a reminder whose kind is not installed or whose subject is
        gone says its kind and its customer."""
        kind = self._kind_with_subject()
        if kind is None:
            return f"{self.kind_label} · {self.customer.name}"
        return kind.message(self)

    @property
    def link(self):
        """Where the reminder leads: the kind's link, else the customer's file."""
        kind = self._kind_with_subject()
        if kind is None:
            return reverse("customers-detail", args=[self.customer_id])
        return kind.link(self)

    @property
    def kind_label(self):
        from .registry import KINDS

        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind


# Subject types that still have their own column on the reminders table (see above).
SUBJECT_COLUMNS = {"holding": "holding_id", "contact": "contact_id", "visit": "visit_id"}


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

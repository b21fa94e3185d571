import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Branch
from customers.models import AssetTier, Customer, Product, StarLevel
from customers.scoping import CustomerScopedQuerySet

# After this many days a completed visit is part of the record: its RM can no longer edit it.
EDITABLE_DAYS_AFTER_COMPLETION = 7
# A visit is planned or logged within this many years of today, either way.
PLAUSIBLE_VISIT_YEARS = 5
# The calendar, the diary and the API's date filters reach this many years either way.
BROWSABLE_YEARS = 20


@deconstructible
class WithinYearsValidator:
    """A date or time whose year lies within ``years`` of this year, either way.

    Years such as 0027 or 1900 are typing or client errors; they would also be stored and
    served with the local mean time of Shanghai (+08:05:43), which is not valid RFC 3339."""

    def __init__(self, years):
        self.years = years

    def __call__(self, value):
        if value is None:
            return
        this_year = timezone.localdate().year
        first, last = this_year - self.years, this_year + self.years
        if not first <= value.year <= last:
            raise ValidationError(
                _("Enter a date between the years %(first)s and %(last)s."),
                code="implausible",
                params={"first": first, "last": last},
            )

    def __eq__(self, other):
        return isinstance(other, WithinYearsValidator) and other.years == self.years


# One validator for the times of a visit, in the forms and in the API alike.
validate_visit_time = WithinYearsValidator(PLAUSIBLE_VISIT_YEARS)
validate_browsable_time = WithinYearsValidator(BROWSABLE_YEARS)


# Clocks of phones and servers differ a little: a completion time this close ahead is "now".
COMPLETION_CLOCK_SLACK = timedelta(minutes=5)


def validate_completed_at(visit, completed_at, now=None):
    """Rule: a visit cannot be completed before it starts. Its completion time, the time it
    actually ended, lies between its planned start and now; one rule for the forms and the
    API."""
    now = now or timezone.now()
    start = visit.planned_start.replace(second=0, microsecond=0)  # the forms keep minutes
    if completed_at < start:
        raise ValidationError(
            _("A visit cannot be completed before it starts (%(start)s)."),
            code="not_started",
            params={"start": timezone.localtime(visit.planned_start).strftime("%Y-%m-%d %H:%M")},
        )
    if completed_at > now + COMPLETION_CLOCK_SLACK:
        raise ValidationError(_("The completion time cannot be in the future."), code="future")
    validate_visit_time(completed_at)


def validate_next_visit_on(day):
    """A next visit is planned for today or later, never in the past."""
    if day and day < timezone.localdate():
        raise ValidationError(_("The next visit cannot be in the past."), code="past")
    validate_visit_time(day)


class VisitQuerySet(CustomerScopedQuerySet):
    """Visits: ``visible_to(user)`` is the customer's scope (``customers/scoping.py``). A
    visit is part of the customer's file: when the customer is handed over, its visits go
    with it."""

    def overlapping(self, *, start, end, rm, customer, exclude_pk=None):
        """Visits that share time with ``start``–``end`` and have the same RM (as author or
        companion) or the same customer. Cancelled visits and no-shows take no time; a visit
        that ends when the other begins does not overlap it."""
        if start is None or end is None:
            return self.none()
        who = Visit.of_user_q(rm) if rm is not None else models.Q(pk__in=[])
        if customer is not None:
            who |= models.Q(customer=customer)
        return (
            self.exclude(status__in=[Visit.Status.CANCELLED, Visit.Status.NO_SHOW])
            .exclude(pk=exclude_pk)
            .filter(
                models.Q(planned_start__lt=end, planned_end__gt=start)
                | models.Q(planned_start=start)
            )
            .filter(who)
        )


class Material(models.Model):
    """An item of the pre-visit checklist (business card, brochures, questionnaire, …)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class NeedTag(models.Model):
    """A customer need discovered during a visit (e.g. 子女教育, 养老规划)."""

    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("customer need")
        verbose_name_plural = _("customer needs")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Visit(models.Model):
    class Channel(models.TextChoices):
        ON_SITE = "on_site", _("On-site visit")
        BRANCH = "branch", _("Meeting at the branch")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video")
        COLD = "cold", _("Cold visit to a prospect")
        EVENT = "event", _("Event or salon")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="visits"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("companions"),
        blank=True,
        related_name="accompanied_visits",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    planned_start = models.DateTimeField(_("start"))
    planned_end = models.DateTimeField(_("end"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )

    # Preparation (DOMAIN.md, "Preparation before a visit").
    objective = models.TextField(_("objective of the meeting"), blank=True)
    expected_questions = models.TextField(_("questions expected, and the answers"), blank=True)
    materials = models.ManyToManyField(
        Material, verbose_name=_("materials to bring"), blank=True, related_name="+"
    )

    # Outcome.
    summary = models.TextField(_("outcome"), blank=True)
    needs = models.ManyToManyField(
        NeedTag, verbose_name=_("needs discovered"), blank=True, related_name="+"
    )
    products_discussed = models.ManyToManyField(
        Product, verbose_name=_("products discussed"), blank=True, related_name="+"
    )
    purpose_met = models.BooleanField(_("the purpose was met"), default=False)
    value_given = models.BooleanField(_("the customer got something of value"), default=False)
    next_step_agreed = models.BooleanField(_("the next step was agreed"), default=False)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_visit_on = models.DateField(_("next visit on"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    follow_up = models.OneToOneField(
        "self",
        verbose_name=_("follow-up visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follows",
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(m2m_fields=[companions])
    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-planned_start", "-id"]
        indexes = [
            models.Index(fields=["rm", "planned_start"], name="visit_rm_time"),
            # The lists' order: newest first, walked backwards behind the scope filter.
            models.Index(fields=["-planned_start", "-id"], name="visit_time"),
            models.Index(fields=["customer", "-planned_start"], name="visit_customer_time"),
            models.Index(
                fields=["customer", "-completed_at"],
                condition=models.Q(status="completed"),
                name="visit_customer_done",
            ),
            # For the morning reminders: follow-ups due on a day, planned visits left open.
            models.Index(
                fields=["next_visit_on"],
                condition=models.Q(status="completed", next_visit_on__isnull=False),
                name="visit_follow_up_due",
            ),
            models.Index(
                fields=["planned_end"], condition=models.Q(status="planned"), name="visit_open_end"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")),
                name="visit_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"{self.customer.name} {timezone.localtime(self.planned_start):%Y-%m-%d %H:%M}"

    @staticmethod
    def of_user_q(user):
        """Visits the user goes on: as the RM or as a companion (no duplicate rows).

        The few visits a user joined are read first, so that PostgreSQL can combine the
        ``(rm, planned_start)`` index with the primary key instead of scanning the table."""
        accompanied = list(
            Visit.companions.through.objects.filter(user=user).values_list("visit_id", flat=True)
        )
        return models.Q(rm=user) | models.Q(pk__in=accompanied)

    def overlaps(self, user):
        """The visits the user may see that this one would overlap (see ``overlapping``)."""
        return list(
            Visit.objects.visible_to(user)
            .overlapping(
                start=self.planned_start,
                end=self.planned_end,
                rm=self.rm if self.rm_id else None,
                customer=self.customer if self.customer_id else None,
                exclude_pk=self.pk,
            )
            .select_related("customer", "rm")
            .order_by("planned_start", "id")[:5]
        )

    @property
    def is_planned(self):
        return self.status == self.Status.PLANNED

    @property
    def good_meeting(self):
        """The three tests of a good meeting (DOMAIN.md), all passed."""
        return self.purpose_met and self.value_given and self.next_step_agreed

    def editable_by(self, user) -> bool:
        """Rule: the author, a companion, or a branch head whose subtree holds the author's
        branch may change a visit (admins too). A completed visit older than
        EDITABLE_DAYS_AFTER_COMPLETION days is closed to RMs; heads and admins may still
        correct it."""
        if user.is_admin:
            return True
        if user.is_head:
            return (
                self.rm.branch_id is not None
                and Branch.objects.visible_to(user).filter(pk=self.rm.branch_id).exists()
            )
        is_party = self.rm_id == user.pk or self.companions.filter(pk=user.pk).exists()
        if not is_party:
            return False
        if self.status == self.Status.COMPLETED and self.completed_at:
            limit = self.completed_at + timedelta(days=EDITABLE_DAYS_AFTER_COMPLETION)
            return timezone.now() <= limit
        return True


class DiaryNote(models.Model):
    """An RM's note of the day in the work diary (工作日志)."""

    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="diary_notes"
    )
    day = models.DateField(_("day"))
    text = models.TextField(_("notes of the day"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("diary note")
        verbose_name_plural = _("diary notes")
        constraints = [models.UniqueConstraint(fields=["rm", "day"], name="diary_note_per_day")]

    def __str__(self):
        return f"{self.rm} {self.day}"


class CoverageRule(models.Model):
    """How often customers of a tier or star level must be visited."""

    asset_tier = models.OneToOneField(
        AssetTier,
        verbose_name=_("asset tier"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="coverage_rule",
    )
    star_level = models.PositiveSmallIntegerField(
        _("star level"), choices=StarLevel.choices, null=True, blank=True, unique=True
    )
    interval_days = models.PositiveSmallIntegerField(
        _("visit at least every (days)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("coverage rule")
        verbose_name_plural = _("coverage rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(asset_tier__isnull=False) ^ models.Q(star_level__isnull=False),
                name="coverage_rule_tier_or_star",
            )
        ]

    def __str__(self):
        target = self.asset_tier or self.get_star_level_display()
        return f"{target}: {self.interval_days}"


class CalendarFeed(models.Model):
    """The secret address of a user's iCalendar feed; regenerating it kills the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"{self.user}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @classmethod
    def for_user(cls, user):
        return cls.objects.get_or_create(user=user, defaults={"token": cls.new_token()})[0]

    def regenerate(self):
        self.token = self.new_token()
        self.save(update_fields=["token", "created_at"])


def overlap_warning(visits) -> str:
    """One line naming the visits a new or moved visit overlaps."""
    listed = "; ".join(
        f"{timezone.localtime(v.planned_start):%Y-%m-%d %H:%M}–"
        f"{timezone.localtime(v.planned_end):%H:%M} {v.customer.name} "
        f"({v.rm.get_full_name() or v.rm.username})"
        for v in visits
    )
    return _("This time overlaps another visit of the same RM or customer: %(visits)s.") % {
        "visits": listed
    }

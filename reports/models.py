"""Snapshots of the figures heads run their branch on, and the assessment of RMs.

The report pages read the compact daily facts here (one row per RM and day, one per branch
and day), never the million-row tables; a claimed nightly job writes them (services.py).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Branch

from .measures import BY_CODE, EXTERNAL_CODES, STORED

ZERO = Decimal("0")


def _measure_fields():
    return {
        m.code: models.DecimalField(m.label, max_digits=20, decimal_places=2, default=ZERO)
        for m in STORED
    }


class FactQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The facts a user may read.

        Rule: an admin reads every figure; a branch head (and a risk manager) the figures of
        the branches in their subtree (and of the RMs filed there on that day); an RM only
        their own. The figures of another branch are never read, even as part of a total."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.sees_branch_subtree:
            ids = list(Branch.objects.visible_to(user).values_list("pk", flat=True))
            return self.filter(branch_id__in=ids)
        if self.model is BranchDay:
            return self.none()
        return self.filter(rm=user)


class RmDay(models.Model):
    """One RM's figures on one day, credited to the branch the RM belonged to that day."""

    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    locals().update(_measure_fields())

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("RM's daily figures")
        verbose_name_plural = _("RMs' daily figures")
        constraints = [models.UniqueConstraint(fields=["rm", "day"], name="rmday_once")]
        indexes = [models.Index(fields=["branch", "day"], name="rmday_branch_day")]

    def __str__(self):
        return f"{self.rm_id} {self.day}"


class BranchDay(models.Model):
    """A branch's figures on one day: the sum over its whole subtree, so a head's page reads
    one row per day for any branch."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    locals().update(_measure_fields())

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch's daily figures")
        verbose_name_plural = _("branches' daily figures")
        constraints = [models.UniqueConstraint(fields=["branch", "day"], name="branchday_once")]

    def __str__(self):
        return f"{self.branch_id} {self.day}"


class Breakdown(models.Model):
    """A count split by a dimension on one day for one RM (tier mix, star mix, opportunities
    by stage): read for a single day, so a narrow row is cheap."""

    class Dimension(models.TextChoices):
        TIER = "tier", _("Asset tier")
        STAR = "star", _("Star level")
        STAGE = "stage", _("Opportunity stage")

    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)

    objects = FactQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rm", "day", "dimension", "key"], name="breakdown_once")
        ]
        indexes = [models.Index(fields=["day", "dimension"], name="breakdown_day")]

    def __str__(self):
        return f"{self.rm_id} {self.day} {self.dimension}={self.key}"


class SnapshotDay(models.Model):
    """One day of the nightly snapshot. A run claims the days it will write with a
    conditional UPDATE (``claim`` empty or stale → its token) and writes each day's facts and
    ``finished_at`` in one transaction: two runs never write a day twice, and a day missed
    while the workers were down is written by the next run."""

    day = models.DateField(unique=True)
    claim = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("snapshot day")
        verbose_name_plural = _("snapshot days")
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)


class ExternalFigure(models.Model):
    """A monthly figure kept elsewhere in the bank (international settlement in USD,
    intermediate-business income, interest collected), imported per RM and month."""

    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"))
    measure = models.CharField(
        pgettext_lazy("report", "measure"),
        max_length=30,
        choices=[(code, BY_CODE[code].label) for code in EXTERNAL_CODES],
    )
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=2)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("external figure")
        verbose_name_plural = _("external figures")
        constraints = [
            models.UniqueConstraint(fields=["rm", "month", "measure"], name="external_once")
        ]

    def __str__(self):
        return f"{self.rm_id} {self.month:%Y-%m} {self.measure}"


class CreditPolicy(models.Model):
    """How balances of a customer with assisting RMs are credited (the opportunities' own
    splits decide pipeline credit). Default: 100 % to the primary RM."""

    primary_share = models.PositiveSmallIntegerField(
        _("share of the primary RM (%)"),
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The rest is split evenly between the assisting RMs."),
    )

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policy")

    def __str__(self):
        return f"{self.primary_share} %"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls(primary_share=100)


class Line(models.TextChoices):
    CORPORATE = "corporate", _("Corporate (对公)")
    RETAIL = "retail", _("Retail (零售)")


class Grade(models.TextChoices):
    CHIEF = "chief", _("Chief RM (首席)")
    SENIOR = "senior", _("Senior RM (高级)")
    RM = "rm", _("RM (客户经理)")
    ASSISTANT = "assistant", _("Assistant RM (助理)")


GRADE_ORDER = [Grade.ASSISTANT, Grade.RM, Grade.SENIOR, Grade.CHIEF]


class GradeRecord(models.Model):
    """An RM's grade from a day on: the newest row is the current grade, the others are
    its history."""

    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        on_delete=models.CASCADE,
        related_name="grade_records",
    )
    line = models.CharField(_("line"), max_length=10, choices=Line.choices)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    since = models.DateField(_("since"), default=timezone.localdate)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["rm", "-since", "-id"]
        indexes = [models.Index(fields=["rm", "-since"], name="grade_current")]

    def __str__(self):
        return f"{self.rm} {self.get_grade_display()} {self.since}"


class Scheme(models.Model):
    """An assessment scheme (考评方案) for a line and a period."""

    class Period(models.TextChoices):
        YEAR = "year", _("Year")
        QUARTER = "quarter", _("Quarter")

    name = models.CharField(_("name"), max_length=100)
    line = models.CharField(_("line"), max_length=10, choices=Line.choices)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    is_active = models.BooleanField(_("in use"), default=True)
    # Peer group: same grade and line always; the branch level of the RM's branch too.
    peer_by_branch_level = models.BooleanField(_("peer group by branch level"), default=True)
    qualify_share = models.DecimalField(
        _("qualifying share"), max_digits=4, decimal_places=3, default=Decimal("0.600")
    )
    protect_share = models.DecimalField(
        _("protected share"), max_digits=4, decimal_places=3, default=Decimal("0.150")
    )
    quality_pass = models.DecimalField(
        _("quality pass mark"), max_digits=5, decimal_places=2, default=Decimal("80")
    )

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["line", "name"]

    def __str__(self):
        return self.name


class IndicatorGroup(models.Model):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("assessment scheme"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        ordering = ["scheme", "position", "id"]

    def __str__(self):
        return self.name


class Indicator(models.Model):
    class Method(models.TextChoices):
        SHARE = "share", _("Share of target")
        RANK = "rank", _("Rank in the peer group")
        LINEAR = "linear", _("Linear between two points")

    group = models.ForeignKey(
        IndicatorGroup,
        verbose_name=_("indicator group"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    name = models.CharField(_("name"), max_length=100)
    measure = models.CharField(
        pgettext_lazy("report", "measure"),
        max_length=30,
        choices=[(m, BY_CODE[m].label) for m in BY_CODE],
    )
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    cap = models.DecimalField(
        _("cap (share of the weight)"), max_digits=5, decimal_places=2, default=Decimal("1.2")
    )
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    method = models.CharField(_("scored by"), max_length=10, choices=Method.choices)
    low = models.DecimalField(_("zero points at"), max_digits=20, decimal_places=2, default=ZERO)
    high = models.DecimalField(_("full points at"), max_digits=20, decimal_places=2, default=ZERO)
    target = models.DecimalField(_("default target"), max_digits=20, decimal_places=2, default=ZERO)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["group", "position", "id"]

    def __str__(self):
        return self.name

    @property
    def measure_unit(self) -> str:
        return BY_CODE[self.measure].unit


class Target(models.Model):
    """A target of an indicator for one RM, or for every RM of a grade."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices, blank=True)
    value = models.DecimalField(_("target"), max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self):
        return f"{self.indicator_id}: {self.value}"


class ThresholdRule(models.Model):
    """The performance threshold of a grade: every condition of ``all_of`` and, when
    ``any_of`` is not empty, at least one of it. A condition is
    ``{"measure": "avg_deposits", "min": 60000000, "with_loan": false}``; amounts in the
    measure's currency (CNY, or USD for international settlement)."""

    scheme = models.ForeignKey(
        Scheme,
        verbose_name=_("assessment scheme"),
        on_delete=models.CASCADE,
        related_name="thresholds",
    )
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    all_of = models.JSONField(_("all of"), default=list, blank=True)
    any_of = models.JSONField(_("any of"), default=list, blank=True)

    class Meta:
        verbose_name = _("threshold rule")
        verbose_name_plural = _("threshold rules")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "grade"], name="threshold_per_grade")
        ]

    def __str__(self):
        return f"{self.scheme_id} {self.grade}"


class QualityItem(models.Model):
    """An item of the quality score: marked by the head, or evidence from the system."""

    class Source(models.TextChoices):
        MARK = "mark", _("Head's mark")
        DIARY = "diary", _("Diary days filled")
        COVERAGE = "coverage", _("Visit coverage")
        ARCHIVE = "archive", _("Archive completeness")
        WARNINGS = "warnings", _("Warnings handled within their limits")
        COMPLAINTS = "complaints", _("No complaints upheld")

    scheme = models.ForeignKey(
        Scheme,
        verbose_name=_("assessment scheme"),
        on_delete=models.CASCADE,
        related_name="quality_items",
    )
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("quality item")
        verbose_name_plural = _("quality items")
        ordering = ["scheme", "position", "id"]

    def __str__(self):
        return self.name


class QualityMark(models.Model):
    item = models.ForeignKey(
        QualityItem, verbose_name=_("quality item"), on_delete=models.CASCADE, related_name="marks"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    period_start = models.DateField(_("first day of the period"))
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("quality mark")
        verbose_name_plural = _("quality marks")
        constraints = [
            models.UniqueConstraint(fields=["item", "rm", "period_start"], name="quality_mark_once")
        ]

    def __str__(self):
        return f"{self.item_id} {self.rm_id}: {self.points}"


class PeriodClose(models.Model):
    """A closed assessment period: its scores are frozen and grade moves proposed."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="closes")
    period_start = models.DateField()
    period_end = models.DateField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "period_start"], name="close_once")
        ]

    def __str__(self):
        return f"{self.scheme} {self.period_start}–{self.period_end}"


class FrozenScore(models.Model):
    class Proposal(models.TextChoices):
        PROMOTE = "promote", _("Promote")
        KEEP = "keep", _("Keep")
        DEMOTE = "demote", _("Demote")
        PROTECTED = "protected", _("Kept by the 15 % rule")

    close = models.ForeignKey(PeriodClose, on_delete=models.CASCADE, related_name="scores")
    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=10, choices=Grade.choices)
    score = models.DecimalField(max_digits=8, decimal_places=2)
    quality = models.DecimalField(max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField()
    peers = models.PositiveIntegerField()
    threshold_met = models.BooleanField()
    proposal = models.CharField(max_length=10, choices=Proposal.choices)
    detail = models.JSONField(default=dict)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["close", "rm"], name="frozen_once")]

    def __str__(self):
        return f"{self.rm_id} #{self.rank}/{self.peers}"


class StaffingRule(models.Model):
    """The fewest RMs an outlet of a level must have (defaults: 3 in a branch's settlement
    and cash-management department, 1 in each corporate outlet)."""

    level = models.CharField(_("level"), max_length=20, choices=Branch.Level.choices, unique=True)
    minimum = models.PositiveSmallIntegerField(_("minimum RMs"))

    class Meta:
        verbose_name = _("staffing rule")
        verbose_name_plural = _("staffing rules")

    def __str__(self):
        return f"{self.get_level_display()}: {self.minimum}"


class PackDelivery(models.Model):
    """The Monday meeting pack (经营例会) to one head on one channel for one week. Unique on
    (head, channel, week): planning twice creates it once; whoever flips ``claimed_at``
    from empty sends it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=30)
    week = models.DateField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("meeting pack delivery")
        verbose_name_plural = _("meeting pack deliveries")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel", "week"], name="pack_once_a_week")
        ]

    def __str__(self):
        return f"{self.user_id} {self.channel} {self.week}"


class FigureCache(models.Model):
    """Figures of a scope and period as last computed, shared by every web worker; the key
    holds the latest snapshot's time, so a new snapshot makes every old row unreachable (the
    snapshot job then deletes them)."""

    key = models.CharField(max_length=64, unique=True)
    payload = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.key

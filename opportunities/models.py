"""Cross-sell opportunities (商机) and what feeds them: stages, lost reasons, maturities turned
into retention, gap suggestions and target lists."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Holding, Product
from customers.scoping import CustomerScopedQuerySet
from workflow.machine import StateMachine, Transition


def _localised(obj) -> str:
    """A row's name in the user's language: the English name when the user reads English."""
    if (get_language() or "").startswith("en") and obj.name_en:
        return obj.name_en
    return obj.name


class Stage(models.Model):
    """One column of the pipeline. Admins edit names, order, probability and the stale limit;
    the codes stay (they are what the history records)."""

    IDENTIFIED = "identified"
    CONTACTED = "contacted"
    NEEDS_CONFIRMED = "needs_confirmed"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"

    code = models.SlugField(_("code"), max_length=30, primary_key=True)
    name = models.CharField(_("name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=30, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), default=0)
    stale_days = models.PositiveSmallIntegerField(
        _("days before stale"),
        default=14,
        help_text=_(
            "An open opportunity that sits in this stage longer, or whose next step is overdue, "
            "counts as stale."
        ),
    )
    is_final = models.BooleanField(_("final"), default=False)
    is_won = models.BooleanField(_("won"), default=False)
    checks_suitability = models.BooleanField(
        _("checks suitability"),
        default=False,
        help_text=_(
            "Entering this stage needs the customer's risk tolerance to suit every product line "
            "(适当性)."
        ),
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["order", "code"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return _localised(self)

    @property
    def is_lost(self) -> bool:
        return self.is_final and not self.is_won


class LostReason(models.Model):
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    needs_note = models.BooleanField(
        _("needs a note"), default=False, help_text=_("“Other”: the RM must say what happened.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["order", "id"]

    def __str__(self):
        return _localised(self)


class StageMachine(StateMachine):
    """The platform's state machine with the moves read from the stage table: an open
    opportunity may go to any other stage (forward, back, won or lost); a final one moves no
    more. Who may move: see ``Opportunity.editable_by``."""

    def __init__(self):
        super().__init__(field="stage_id", transitions=[])

    def _stages(self):
        return {s.code: s for s in Stage.objects.all()}

    def transition(self, source, target):
        stages = self._stages()
        start, end = stages.get(str(source)), stages.get(str(target))
        if start is None or end is None or start.is_final or start.code == end.code:
            return None
        return Transition(start.code, end.code, may=lambda actor, obj: obj.editable_by(actor))

    def targets_for(self, actor, obj):
        stages = self._stages()
        current = stages.get(obj.stage_id)
        if current is None or current.is_final or not obj.editable_by(actor):
            return []
        return [code for code in stages if code != current.code]

    def label(self, state) -> str:
        stage = Stage.objects.filter(pk=state).first()
        return stage.label if stage else str(state)


class OpportunityQuerySet(CustomerScopedQuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def of_rm(self, user):
        return self.filter(owner=user)


class Opportunity(models.Model):
    class Type(models.TextChoices):
        ACQUIRE = "acquire", _("Acquire (争取)")
        RETAIN = "retain", _("Retain (保有)")
        GROW = "grow", _("Grow (发展)")

    class Source(models.TextChoices):
        MATURITY = "maturity", _("Maturity")
        SUGGESTION = "suggestion", _("Gap suggestion")
        TARGET_LIST = "target_list", _("Target list")
        REFERRAL = "referral", _("Referral")
        VISIT = "visit", _("Need found on a visit")
        CAMPAIGN = "campaign", _("Campaign")
        OWN = "own", _("RM's own")

    class Mode(models.TextChoices):
        ALONE = "alone", _("Alone (独立)")
        LEAD = "lead", _("Lead of a joint effort (牵头联合)")
        ASSISTING = "assisting", _("Assisting (协助)")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.GROW)
    title = models.CharField(_("opportunity title"), max_length=100)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    # The sum of the lines, kept on the row so that the board and the review add it up
    # without reading the lines.
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    weighted_amount = models.DecimalField(
        _("weighted amount"), max_digits=16, decimal_places=2, default=0
    )
    expected_revenue = models.DecimalField(
        _("expected revenue"), max_digits=14, decimal_places=2, default=0
    )
    expected_close_on = models.DateField(_("expected close date"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default="own")
    competitor = models.CharField(_("competitor bank"), max_length=50, blank=True)
    mode = models.CharField(
        _("marketing mode"), max_length=10, choices=Mode.choices, default=Mode.ALONE
    )
    owner_share = models.PositiveSmallIntegerField(_("owner's credit (%)"), default=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Where it came from: a maturing holding (once per holding and maturity date), a
    # suggested category, a target list, a visit.
    holding = models.ForeignKey(
        Holding,
        verbose_name=_("maturing holding"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    holding_matures_on = models.DateField(_("holding matures on"), null=True, blank=True)
    category = models.CharField(
        _("product category"), max_length=20, choices=Product.Category.choices, blank=True
    )
    visit = models.ForeignKey(
        "visits.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    suggested_products = models.ManyToManyField(
        Product,
        verbose_name=_("suggested products"),
        through="SuggestedProduct",
        related_name="+",
        blank=True,
    )
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lost_note = models.CharField(_("note on the loss"), max_length=200, blank=True)
    close_pushes = models.PositiveSmallIntegerField(_("times the close date was pushed"), default=0)
    # The order of the furthest open stage it reached (for conversion rates per stage), and
    # the days from creation to won or lost (for the average cycle).
    reached_order = models.PositiveSmallIntegerField(_("furthest stage reached"), default=0)
    cycle_days = models.PositiveIntegerField(_("days to close"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = OpportunityQuerySet.as_manager()
    workflow = StageMachine()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        constraints = [
            models.UniqueConstraint(
                fields=["holding", "holding_matures_on"],
                condition=Q(holding__isnull=False),
                name="opportunity_once_per_maturity",
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="opportunity_probability_percent"
            ),
        ]
        indexes = [
            # The RM board and list: an owner's open opportunities by stage.
            models.Index(fields=["owner", "closed_at", "stage"], name="opportunity_board"),
            models.Index(fields=["customer", "closed_at"], name="opportunity_by_customer"),
            models.Index(fields=["created_at"], name="opportunity_created"),
            models.Index(fields=["closed_at"], name="opportunity_closed"),
            # Lists and the API: open ones by expected close date, a page at a time.
            models.Index(
                fields=["expected_close_on", "id"],
                condition=Q(closed_at__isnull=True),
                name="opportunity_open_by_close",
            ),
            # The review's stale list: open ones by next step date, read until 20 are found.
            models.Index(
                fields=["next_step_on", "id"],
                condition=Q(closed_at__isnull=True),
                name="opportunity_next_step_open",
            ),
        ]

    def __str__(self):
        return f"{self.title} · {self.customer.name}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def editable_by(self, user) -> bool:
        """Rule: among those who can see the customer, the owner, a branch head and an admin
        edit and move an opportunity. Assisting RMs (with a credit split) read it only; the
        split is the owner's or the head's to change."""
        if not user.is_authenticated or not user.is_active:
            return False
        return user.is_admin or user.is_head or self.owner_id == user.pk

    def set_weighted(self):
        self.weighted_amount = (Decimal(self.amount) * self.probability / 100).quantize(
            Decimal("0.01")
        )

    def stale_since(self, stage: Stage, today=None):
        """The day it went stale, or None: over the stage's limit, or next step overdue."""
        today = today or timezone.localdate()
        if not self.is_open:
            return None
        entered = timezone.localdate(self.stage_entered_at)
        if (today - entered).days > stage.stale_days:
            return entered + timedelta(days=stage.stale_days + 1)
        if self.next_step_on and self.next_step_on < today:
            return self.next_step_on + timedelta(days=1)
        return None


class SuggestedProduct(models.Model):
    """A replacement product suggested for a retention: same or lower risk level than the
    customer's grade."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "product"], name="suggested_product_once"
            )
        ]

    def __str__(self):
        return f"{self.opportunity_id} → {self.product_id}"


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    expected_revenue = models.DecimalField(
        _("expected revenue"), max_digits=14, decimal_places=2, default=0
    )
    dual_recorded = models.BooleanField(_("recorded on audio and video (双录)"), default=False)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "product"], name="opportunity_line_once")
        ]

    def __str__(self):
        return f"{self.product.code} {self.amount}"


class OpportunityAssistant(models.Model):
    """An assisting RM of an opportunity and their share of the credit. The owner's share
    and the assistants' add up to 100."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="assistants"
    )
    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    share = models.PositiveSmallIntegerField(_("credit (%)"))

    class Meta:
        verbose_name = _("assisting RM")
        verbose_name_plural = _("assisting RMs")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "rm"], name="opportunity_assistant_once")
        ]
        indexes = [models.Index(fields=["rm"], name="opportunity_assistant_rm")]

    def __str__(self):
        return f"{self.rm_id} {self.share}%"


class Change(models.Model):
    """What happened to an opportunity, for "what changed since last week" and the cycle
    figures: one row per event (stage moves are also in workflow.StateChange)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("New")
        ADVANCED = "advanced", _("Advanced")
        MOVED_BACK = "moved_back", _("Moved back")
        CLOSE_PUSHED = "close_pushed", _("Close date pushed")
        AMOUNT_CHANGED = "amount_changed", _("Amount changed")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_value = models.CharField(max_length=50, blank=True)
    new_value = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="opportunity_change_at")]

    def __str__(self):
        return f"{self.opportunity_id} {self.kind}"


class SuitabilityRefusal(models.Model):
    """A move refused by the suitability gate (适当性): kept, though nothing else changed."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="refusals")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    to_stage = models.CharField(max_length=30)
    product = models.ForeignKey(Product, null=True, on_delete=models.SET_NULL, related_name="+")
    customer_grade = models.CharField(max_length=2, blank=True)
    assessed_on = models.DateField(null=True)
    product_level = models.CharField(max_length=2, blank=True)
    reason = models.CharField(max_length=20)
    message = models.TextField()

    class Meta:
        verbose_name = _("suitability refusal")
        verbose_name_plural = _("suitability refusals")
        ordering = ["-at"]

    def __str__(self):
        return self.message


class Task(models.Model):
    """A dated task of an opportunity: the thank-you within 24 hours of a won deal."""

    class Kind(models.TextChoices):
        THANK_YOU = "thank_you", _("Thank the customer")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "kind"], name="opportunity_task_once")
        ]

    def __str__(self):
        return f"{self.opportunity_id} {self.kind}"


class SuggestionQuerySet(CustomerScopedQuerySet):
    def live(self, today=None):
        """Suggestions not dismissed (a dismissal lasts 90 days)."""
        today = today or timezone.localdate()
        return self.exclude(dismissed_until__gt=today)


class Suggestion(models.Model):
    """A product category that at least P % of the customer's peers (same kind and asset
    tier) hold and the customer does not: written by the nightly job, best three first."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(
        _("product category"), max_length=20, choices=Product.Category.choices
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    peer_share = models.DecimalField(_("held by peers (%)"), max_digits=5, decimal_places=1)
    computed_on = models.DateField()
    dismissed_until = models.DateField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("gap suggestion")
        verbose_name_plural = _("gap suggestions")
        ordering = ["customer", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "category"], name="suggestion_once")
        ]

    def __str__(self):
        return f"{self.customer_id} {self.category}"


class CrossSellSnapshot(models.Model):
    """Products per customer of one RM's book on one day, written by the nightly job: the
    pipeline review reads it (and its change) without scanning the holdings."""

    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    customers = models.PositiveIntegerField(default=0)
    products = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rm", "day"], name="cross_sell_snapshot_once")
        ]

    def __str__(self):
        return f"{self.rm_id} {self.day}"

    @property
    def ratio(self):
        return round(self.products / self.customers, 2) if self.customers else None


class PipelineFigure(models.Model):
    """One night's pipeline, added up per branch (the customer's) and owner, for the heads'
    review: ``open`` rows by stage, category and expected close month; ``reached`` rows by
    the furthest stage reached; ``closed`` rows (the last 365 days) with the won count and
    the days to close; ``week`` rows: the last seven days' changes by kind (``stage_id``
    holds the kind, "created" for new ones); ``lost`` rows: the week's losses by reason.
    Only the latest night is kept."""

    class Kind(models.TextChoices):
        OPEN = "open", "open"
        REACHED = "reached", "reached"
        CLOSED = "closed", "closed"
        WEEK = "week", "week"
        LOST = "lost", "lost"

    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    branch = models.ForeignKey("accounts.Branch", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage_id = models.CharField(max_length=30, blank=True)
    category = models.CharField(max_length=20, blank=True)
    month = models.DateField(null=True)
    reached_order = models.PositiveSmallIntegerField(default=0)
    n = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    won = models.PositiveIntegerField(default=0)
    cycle_days = models.PositiveBigIntegerField(default=0)
    lost_reason = models.ForeignKey(
        LostReason, null=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["day", "branch"], name="pipeline_figure_day_branch")]

    def __str__(self):
        return f"{self.day} {self.kind} {self.branch_id} {self.owner_id}"


class NightlyRun(models.Model):
    """A claim on one night's run of a job: two workers started at once, or a rerun, find
    the claim taken and do nothing."""

    kind = models.CharField(max_length=30)
    day = models.DateField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day"], name="nightly_run_once")]

    def __str__(self):
        return f"{self.kind} {self.day}"


class TargetListQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rule: a target list is seen by an admin, and by anyone with a name on it among the
        customers they see (``Customer.objects.visible_to``): its RMs, their heads."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        return self.filter(pk__in=TargetEntry.objects.visible_to(user).values("target_list_id"))


class TargetList(models.Model):
    theme = models.CharField(_("theme"), max_length=100)
    deadline = models.DateField(_("deadline"))
    description = models.CharField(_("filter"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = TargetListQuerySet.as_manager()

    class Meta:
        verbose_name = _("target list")
        verbose_name_plural = _("target lists")
        ordering = ["-created_at"]

    def __str__(self):
        return self.theme


class TargetEntry(models.Model):
    class Feedback(models.TextChoices):
        CONTACTED = "contacted", _("Contacted")
        INTERESTED = "interested", _("Interested (opportunity)")
        NOT_INTERESTED = "not_interested", _("Not interested")
        UNREACHABLE = "unreachable", _("Cannot reach")

    target_list = models.ForeignKey(TargetList, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    rm = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey("accounts.Branch", on_delete=models.PROTECT, related_name="+")
    feedback = models.CharField(_("feedback"), max_length=15, choices=Feedback.choices, blank=True)
    note = models.CharField(_("reason or note"), max_length=200, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("target customer")
        verbose_name_plural = _("target customers")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["target_list", "customer"], name="target_entry_once")
        ]
        indexes = [models.Index(fields=["rm", "target_list"], name="target_entry_rm")]

    def __str__(self):
        return f"{self.target_list_id} {self.customer_id}"

"""Risk warnings (风险预警): watch items, their measures, escalations, post-loan checks, the
risk data imported from core banking, and the admin-edited rules and time limits.

Every record hangs off a customer and inherits its scope (``CustomerScopedQuerySet``): a
watch item, a check or a ledger line is visible exactly when its customer is.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer, Holding
from customers.scoping import CustomerScopedQuerySet
from workflow.machine import StateMachine, Transition


class Level(models.IntegerChoices):
    """How bad a warning is; a higher number is worse, so "raise" is ``level < new``."""

    ATTENTION = 1, _("Attention")
    WARNING = 2, pgettext_lazy("watch level", "Warning")
    SEVERE = 3, _("Severe")


class Signal(models.TextChoices):
    FINANCIAL_POSITION = "financial_position", _("Financial position")
    FUND_MOVEMENT = "fund_movement", _("Fund movement")
    LARGE_FLOW = "large_flow", _("Large fund movement")
    PROFIT_TREND = "profit_trend", _("Profit trend")
    INVESTMENT_RETURN = "investment_return", _("Return on investments")
    PRODUCTION_CHANGE = "production_change", _("Change in production")
    OPERATIONS_CHANGE = "operations_change", _("Change in operations")
    MANAGEMENT_CHANGE = "management_change", _("Change in management or ownership")
    OVERDUE_INTEREST = "overdue_interest", _("Overdue interest")
    OVERDUE_PRINCIPAL = "overdue_principal", _("Overdue principal")
    CLASSIFICATION_DOWNGRADE = "classification_down", _("Loan classification downgrade")
    RATING_DOWNGRADE = "rating_down", _("Credit rating downgrade")
    ACCOUNT_STATUS = "account_status", _("Account status change")
    INSUFFICIENT_BALANCE = "insufficient_balance", _("Insufficient balance for a debit")
    ASSETS_DOWN = "assets_down", _("Financial assets falling")
    TIER_DROP = "tier_drop", _("Asset tier dropped")
    NOT_RENEWED = "not_renewed", _("Maturity not renewed")
    RELATED_PARTY = "related_party", _("Related-party warning")
    OTHER = "other", _("Other")


# What an RM can tick on a visit or a check: what they see with their own eyes.
OBSERVED_SIGNALS = [
    Signal.FINANCIAL_POSITION,
    Signal.FUND_MOVEMENT,
    Signal.LARGE_FLOW,
    Signal.PROFIT_TREND,
    Signal.INVESTMENT_RETURN,
    Signal.PRODUCTION_CHANGE,
    Signal.OPERATIONS_CHANGE,
    Signal.MANAGEMENT_CHANGE,
    Signal.OVERDUE_INTEREST,
    Signal.OVERDUE_PRINCIPAL,
    Signal.ACCOUNT_STATUS,
    Signal.INSUFFICIENT_BALANCE,
    Signal.OTHER,
]
SIGNAL_LABELS = dict(Signal.choices)


def join_signals(values) -> str:
    """Signals stored as ``,a,b,`` so that one signal is found with ``contains=",a,"`` on any
    database; sorted and without repeats."""
    values = sorted({str(v) for v in values if v})
    return f",{','.join(values)}," if values else ""


def split_signals(stored: str) -> list[str]:
    return [v for v in (stored or "").split(",") if v]


class Classification(models.IntegerChoices):
    """The five-category loan classification (贷款五级分类); 3 and worse are non-performing."""

    NORMAL = 1, _("Normal")
    SPECIAL_MENTION = 2, _("Special mention")
    SUBSTANDARD = 3, _("Substandard")
    DOUBTFUL = 4, _("Doubtful")
    LOSS = 5, _("Loss")


CLASSIFICATION_ALIASES = {
    "正常": 1,
    "关注": 2,
    "次级": 3,
    "可疑": 4,
    "损失": 5,
    "normal": 1,
    "special mention": 2,
    "substandard": 3,
    "doubtful": 4,
    "loss": 5,
}

# External ratings from best to worst; a downgrade is a move to the right.
RATING_SCALE = [
    "AAA",
    "AA+",
    "AA",
    "AA-",
    "A+",
    "A",
    "A-",
    "BBB+",
    "BBB",
    "BBB-",
    "BB+",
    "BB",
    "BB-",
    "B+",
    "B",
    "B-",
    "CCC",
    "CC",
    "C",
    "D",
]


def rating_rank(rating: str) -> int | None:
    rating = (rating or "").strip().upper()
    return RATING_SCALE.index(rating) + 1 if rating in RATING_SCALE else None


class AccountStatus(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("account status", "Normal")
    FROZEN = "frozen", _("Frozen")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", pgettext_lazy("account status", "Closed")


class WatchPolicy(models.Model):
    """The numbers behind checks, related parties and review dates; one row, admins edit it."""

    related_hops = models.PositiveSmallIntegerField(
        _("related-party hops"),
        default=1,
        help_text=_("How far a warning spreads through guarantees, shareholders and groups."),
    )
    first_check_days = models.PositiveSmallIntegerField(
        _("first post-loan check within (days)"), default=30
    )
    check_days_normal = models.PositiveSmallIntegerField(
        _("check every (days): normal"), default=90
    )
    check_days_special = models.PositiveSmallIntegerField(
        _("check every (days): special mention"), default=30
    )
    check_days_bad = models.PositiveSmallIntegerField(
        _("check every (days): substandard or worse"), default=15
    )
    check_days_on_watch = models.PositiveSmallIntegerField(
        _("check every (days): open warning or severe item"), default=15
    )
    review_days_attention = models.PositiveSmallIntegerField(
        _("first review after (days): attention"), default=30
    )
    review_days_warning = models.PositiveSmallIntegerField(
        _("first review after (days): warning"), default=14
    )
    review_days_severe = models.PositiveSmallIntegerField(
        _("first review after (days): severe"), default=7
    )
    measure_days = models.PositiveSmallIntegerField(_("first measure due after (days)"), default=3)

    class Meta:
        verbose_name = _("watch policy")
        verbose_name_plural = _("watch policy")

    def __str__(self):
        return str(_("Watch policy"))

    @classmethod
    def current(cls):
        return cls.objects.get_or_create(pk=1)[0]

    def review_days(self, level) -> int:
        return {
            Level.SEVERE: self.review_days_severe,
            Level.WARNING: self.review_days_warning,
        }.get(level, self.review_days_attention)

    def check_interval(self, classification, on_watch: bool) -> int:
        if classification and classification >= Classification.SUBSTANDARD:
            days = self.check_days_bad
        elif classification == Classification.SPECIAL_MENTION:
            days = self.check_days_special
        else:
            days = self.check_days_normal
        return min(days, self.check_days_on_watch) if on_watch else days


class WatchRule(models.Model):
    """A nightly rule over the data (watchlists.rules); admins switch it and set its numbers."""

    class Key(models.TextChoices):
        ASSETS_DROP = "assets_drop", _("Financial assets falling")
        TIER_DROP = "tier_drop", _("Asset tier dropped")
        NOT_RENEWED = "not_renewed", _("Large deposit or wealth product not renewed")
        OVERDUE = "overdue", _("Overdue loan or poor classification")
        DOWNGRADE = "downgrade", _("Classification or rating downgrade")
        ACCOUNT_STATUS = "account_status", _("Account frozen")

    key = models.CharField(_("rule"), max_length=20, choices=Key.choices, unique=True)
    is_active = models.BooleanField(_("on"), default=True)
    level = models.PositiveSmallIntegerField(
        pgettext_lazy("watch item", "level"), choices=Level.choices, default=Level.ATTENTION
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    threshold_2 = models.DecimalField(
        _("second threshold"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    threshold_3 = models.DecimalField(
        _("third threshold"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("what the thresholds mean"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("watch rule")
        verbose_name_plural = _("watch rules")
        ordering = ["key"]

    def __str__(self):
        return self.get_key_display()


# Each rule's defaults: (level, threshold, threshold_2, threshold_3, note).
RULE_DEFAULTS = {
    "assets_drop": (
        1,
        Decimal(30),
        Decimal(50),
        None,
        "threshold: % fall month on month (attention); second: % fall over three months (warning)",
    ),
    "tier_drop": (1, None, None, None, "a customer moved to a lower asset tier"),
    "not_renewed": (
        1,
        Decimal(500000),
        Decimal(30),
        None,
        "threshold: smallest amount (CNY); second: days after maturity without a new "
        "deposit or wealth product",
    ),
    "overdue": (
        1,
        Decimal(1),
        Decimal(30),
        Decimal(90),
        "days overdue for attention, warning and severe; substandard or worse is severe",
    ),
    "downgrade": (2, None, None, None, "any downgrade of classification or rating"),
    "account_status": (2, None, None, None, "a frozen account"),
}


class TimeLimit(models.Model):
    """How many working days an overdue item waits at one escalation level before it climbs
    to the next, by the item's level. Without a row: severe 1, warning 3, attention 7."""

    class Step(models.IntegerChoices):
        RM = 0, _("Primary RM")
        HEAD = 1, _("Branch head")
        RISK = 2, _("Risk manager")

    step = models.PositiveSmallIntegerField(_("waiting with"), choices=Step.choices)
    level = models.PositiveSmallIntegerField(_("item level"), choices=Level.choices)
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        verbose_name = _("escalation time limit")
        verbose_name_plural = _("escalation time limits")
        ordering = ["step", "-level"]
        constraints = [
            models.UniqueConstraint(fields=["step", "level"], name="watch_time_limit_unique")
        ]

    def __str__(self):
        return f"{self.get_step_display()} · {self.get_level_display()}: {self.working_days}"


DEFAULT_TIME_LIMITS = {Level.SEVERE: 1, Level.WARNING: 3, Level.ATTENTION: 7}


def add_working_days(day, days: int):
    """``day`` plus ``days`` working days (Monday to Friday)."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


class RiskSignal(models.Model):
    """One customer's risk data on one day, as imported from core banking
    (``import_risk_signals``)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    overdue_days = models.PositiveIntegerField(_("days overdue"), default=0)
    overdue_principal = models.DecimalField(
        _("overdue principal"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    overdue_interest = models.DecimalField(
        _("overdue interest"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    classification = models.PositiveSmallIntegerField(
        _("loan classification"), choices=Classification.choices, null=True, blank=True
    )
    rating = models.CharField(_("external credit rating"), max_length=10, blank=True)
    rating_rank = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    account_status = models.CharField(
        _("account status"), max_length=10, choices=AccountStatus.choices, blank=True
    )
    event = models.CharField(_("event"), max_length=300, blank=True)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk data")
        verbose_name_plural = _("risk data")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "as_of"], name="risk_signal_day_unique")
        ]
        indexes = [models.Index(fields=["as_of"], name="risk_signal_as_of")]

    def __str__(self):
        return f"{self.customer_id} {self.as_of}"


class WatchItemQuerySet(CustomerScopedQuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_STATES)

    def urgent_first(self):
        """The order of every watchlist: worst level, then the nearest review date."""
        return self.order_by("-level", "review_on", "-id")


def _owner_or_manager(actor, item) -> bool:
    """Rule (among those who see the item): its owner, the primary RM, a head, a risk manager
    and an admin handle an item; a colleague who only assists reads it."""
    return (
        actor.is_admin
        or actor.sees_branch_subtree
        or actor.pk in (item.owner_id, item.customer.primary_rm_id)
    )


def _manager(actor, item) -> bool:
    """Rule: a head, a risk manager or an admin escalates an item or takes it back."""
    return actor.is_admin or actor.sees_branch_subtree


class WatchItem(models.Model):
    """A warning about one customer (预警事项): followed until it is resolved."""

    class Kind(models.TextChoices):
        CREDIT = "credit", _("Credit risk")
        ATTRITION = "attrition", _("Attrition")
        COMPLIANCE = "compliance", _("Compliance")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        VISIT = "visit", _("RM's observation on a visit")
        CHECK = "check", _("Post-loan check")
        IMPORT = "import", _("Imported risk data")
        RULE = "rule", _("Rule")
        RELATED = "related", _("Related party")
        MANAGER = "manager", _("Head or risk manager")
        RM = "rm", _("RM")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_HAND = "in_hand", _("In hand")
        ESCALATED = "escalated", _("Escalated")
        RESOLVED = "resolved", _("Resolved")
        EXITED = "exited", _("Exited")
        FALSE_ALARM = "false_alarm", _("False alarm")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(
        pgettext_lazy("watch item", "kind"), max_length=12, choices=Kind.choices
    )
    signals = models.CharField(_("signals"), max_length=400, blank=True)
    level = models.PositiveSmallIntegerField(
        pgettext_lazy("watch item", "level"), choices=Level.choices
    )
    source = models.CharField(
        pgettext_lazy("watch item", "source"), max_length=10, choices=Source.choices
    )
    # The rule that opened it ("" when a person or a related party did).
    rule = models.CharField(_("rule"), max_length=20, blank=True)
    description = models.TextField(_("description"), blank=True)
    # The bank's exposure when the item opened, from the customer's holdings.
    exposure_loans = models.DecimalField(
        _("loans"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    exposure_guarantees = models.DecimalField(
        _("guarantees given"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    exposure_deposits = models.DecimalField(
        _("deposits"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_on = models.DateField(_("review on"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    # 0 primary RM, 1 branch head, 2 risk manager, 3 head of the parent branch.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The day the item climbs one level if nothing happens (kept by services.refresh_deadline).
    next_escalation_on = models.DateField(null=True, blank=True, editable=False)
    # A derived item (source "related"): the item it comes from, and the way to it.
    origin = models.ForeignKey(
        "self",
        verbose_name=_("from the item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived",
    )
    chain = models.JSONField(_("chain"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    exposure_reduced = models.DecimalField(
        _("exposure reduced"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    objects = WatchItemQuerySet.as_manager()

    workflow = StateMachine(
        field="state",
        transitions=[
            Transition(State.OPEN, State.IN_HAND, may=_owner_or_manager),
            Transition([State.OPEN, State.IN_HAND], State.ESCALATED, may=_manager, by_system=True),
            Transition(State.ESCALATED, State.IN_HAND, may=_manager),
            Transition(
                [State.OPEN, State.IN_HAND, State.ESCALATED], State.RESOLVED, may=_owner_or_manager
            ),
            Transition(
                [State.OPEN, State.IN_HAND, State.ESCALATED], State.EXITED, may=_owner_or_manager
            ),
            Transition(
                [State.OPEN, State.IN_HAND, State.ESCALATED],
                State.FALSE_ALARM,
                may=_owner_or_manager,
            ),
        ],
        stamps={
            State.RESOLVED: "closed_at",
            State.EXITED: "closed_at",
            State.FALSE_ALARM: "closed_at",
        },
    )

    class Meta:
        verbose_name = _("watch item")
        verbose_name_plural = _("watch items")
        ordering = ["-level", "review_on", "-id"]
        constraints = [
            # A rule opens at most one open item per customer: a rerun or two workers racing
            # insert with conflict-ignore and find the one that is there.
            models.UniqueConstraint(
                fields=["customer", "rule"],
                condition=Q(state__in=["open", "in_hand", "escalated"]) & ~Q(rule=""),
                name="watch_item_open_per_rule",
            ),
            models.UniqueConstraint(
                fields=["customer", "origin"],
                condition=Q(state__in=["open", "in_hand", "escalated"]) & Q(origin__isnull=False),
                name="watch_item_open_per_origin",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "state"], name="watch_item_customer"),
            models.Index(
                fields=["next_escalation_on"],
                condition=Q(state__in=["open", "in_hand", "escalated"]),
                name="watch_item_escalation_due",
            ),
            models.Index(
                fields=["state", "-level", "review_on"],
                condition=Q(state__in=["open", "in_hand", "escalated"]),
                name="watch_item_active_urgent",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_level_display()} · {self.customer_id}"

    @property
    def is_active(self):
        return self.state in ACTIVE_STATES

    @property
    def signal_list(self) -> list[str]:
        return split_signals(self.signals)

    @property
    def signal_labels(self) -> list[str]:
        return [str(SIGNAL_LABELS.get(s, s)) for s in self.signal_list]

    @property
    def exposure_total(self) -> Decimal:
        return self.exposure_loans + self.exposure_guarantees

    def editable_by(self, user) -> bool:
        """Rule: among those who see the item, the owner, the customer's primary RM, heads,
        risk managers and admins change an active item (level, review date, measures)."""
        return user.is_active and self.is_active and _owner_or_manager(user, self)


ACTIVE_STATES = [
    WatchItem.State.OPEN,
    WatchItem.State.IN_HAND,
    WatchItem.State.ESCALATED,
]


class ItemRecordQuerySet(CustomerScopedQuerySet):
    """Records of a watch item: visible when the item's customer is."""

    customer_field = "item__customer"


class Measure(models.Model):
    """A step taken on an item (措施), with an owner and a due date, logged with its result."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", pgettext_lazy("measure", "Visit")
        CHECK = "check", _("Post-loan check")
        COLLECTION = "collection", _("Collection")
        DOCUMENTS = "documents", _("Request documents")
        RESTRUCTURE = "restructure", _("Restructure")
        ASSIST = "assist", _("Assist management")
        REDUCE = "reduce", _("Reduce exposure")
        EXIT = "exit", _("Exit")

    item = models.ForeignKey(
        WatchItem, verbose_name=_("watch item"), on_delete=models.CASCADE, related_name="measures"
    )
    kind = models.CharField(pgettext_lazy("measure", "kind"), max_length=12, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ItemRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["item", "done_on"], name="measure_by_item")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_on}"


class Escalation(models.Model):
    """One climb of an item to the next level: written once per (item, level)."""

    item = models.ForeignKey(
        WatchItem,
        verbose_name=_("watch item"),
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    level = models.PositiveSmallIntegerField(_("escalation level"))
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    on = models.DateField(_("on"))
    overdue_since = models.DateField(_("overdue since"))
    at = models.DateTimeField(default=timezone.now)

    objects = ItemRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["item", "level"]
        constraints = [
            models.UniqueConstraint(fields=["item", "level"], name="escalation_once_per_level")
        ]
        indexes = [models.Index(fields=["to_user", "on"], name="escalation_to_user")]

    def __str__(self):
        return f"{self.item_id} → {self.level}"


LEVEL_NAMES = {
    0: _("Primary RM"),
    1: _("Branch head"),
    2: _("Risk manager"),
    3: _("Head of the parent branch"),
}
TOP_ESCALATION = 3


class LedgerEntry(models.Model):
    """A dated line of the customer's monitoring ledger (监测台账) that is not a check, a
    measure or an escalation (those have their own rows): a signal seen, a visit as evidence,
    a level raised, an item opened or closed."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Item opened")
        SIGNAL = "signal", _("Signal")
        EVIDENCE = "evidence", _("Visit as evidence")
        RAISED = "raised", _("Level raised")
        CLOSED = "closed", _("Item closed")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        WatchItem, null=True, blank=True, on_delete=models.CASCADE, related_name="ledger"
    )
    kind = models.CharField(pgettext_lazy("ledger", "kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("on"))
    level = models.PositiveSmallIntegerField(
        pgettext_lazy("watch item", "level"), choices=Level.choices, null=True, blank=True
    )
    signals = models.CharField(_("signals"), max_length=400, blank=True)
    text = models.CharField(_("note"), max_length=500, blank=True)
    visit_id = models.BigIntegerField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["customer", "-on"], name="ledger_by_customer")]

    def __str__(self):
        return f"{self.on} {self.get_kind_display()}"

    @property
    def signal_labels(self):
        return [str(SIGNAL_LABELS.get(s, s)) for s in split_signals(self.signals)]


class LoanCheck(models.Model):
    """A post-loan check of a loan holding, or the annual credit review of a corporate
    borrower (no holding): due on a day, done with a result and the signal checklist."""

    class Kind(models.TextChoices):
        FIRST = "first", _("First post-loan check")
        ROUTINE = "routine", _("Routine check")
        ANNUAL = "annual", _("Annual credit review")

    class Result(models.TextChoices):
        NORMAL = "normal", pgettext_lazy("check result", "Normal")
        CONCERNS = "concerns", _("Concerns")
        PROBLEMS = "problems", _("Problems found")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    holding = models.ForeignKey(
        Holding,
        verbose_name=_("loan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(pgettext_lazy("check", "kind"), max_length=8, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    signals = models.CharField(_("signals"), max_length=400, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = CustomerScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan check")
        verbose_name_plural = _("loan checks")
        ordering = ["due_on", "id"]
        constraints = [
            # One open check per loan, one open annual review per borrower: the scheduler
            # inserts with conflict-ignore.
            models.UniqueConstraint(
                fields=["holding"],
                condition=Q(done_on__isnull=True, holding__isnull=False),
                name="loan_check_open_per_loan",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(done_on__isnull=True, kind="annual"),
                name="loan_check_open_annual",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(done_on__isnull=True), name="loan_check_open_due"
            ),
            models.Index(fields=["customer", "due_on"], name="loan_check_by_customer"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_on}"

    @property
    def is_open(self):
        return self.done_on is None

    def is_overdue(self, today=None):
        return self.done_on is None and self.due_on < (today or timezone.localdate())

    @property
    def signal_labels(self):
        return [str(SIGNAL_LABELS.get(s, s)) for s in split_signals(self.signals)]


LOAN_CATEGORIES = ["personal_loan", "business_loan"]
DEPOSIT_CATEGORIES = ["demand_deposit", "time_deposit", "large_cd"]
RENEWABLE_CATEGORIES = ["time_deposit", "large_cd", "wealth"]


class BoardSnapshot(models.Model):
    """When the branch board's figures were last taken (one row), and the claim of the job
    taking them, so that two workers never take them at once (``board.refresh``)."""

    taken_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("board snapshot")
        verbose_name_plural = _("board snapshots")

    def __str__(self):
        return f"{self.taken_at}"


class BoardCount(models.Model):
    """The branch board's figures: items of one branch, owner, kind, level and state
    (customers not archived), with the overdue reviews among them and those opened or closed
    in the last seven days. Read by branch subtree; written whole by ``board.refresh``."""

    branch = models.ForeignKey(
        "accounts.Branch", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12)
    level = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=12)
    items = models.PositiveIntegerField(default=0)
    overdue_reviews = models.PositiveIntegerField(default=0)
    opened_this_week = models.PositiveIntegerField(default=0)
    closed_this_week = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("board count")
        verbose_name_plural = _("board counts")
        indexes = [models.Index(fields=["branch", "level"], name="board_count_branch")]

    def __str__(self):
        return f"{self.branch_id} {self.level} {self.items}"


class CheckCount(models.Model):
    """Overdue loan checks of one branch and primary RM, for the branch board."""

    branch = models.ForeignKey(
        "accounts.Branch", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("check count")
        verbose_name_plural = _("check counts")
        indexes = [models.Index(fields=["branch"], name="check_count_branch")]

    def __str__(self):
        return f"{self.branch_id} {self.rm_id} {self.overdue}"

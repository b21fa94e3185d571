"""Tickets (complaints, service requests, appointments, suggestions, enquiries), their clock,
and customer care (care actions, gifts, events)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Branch
from customers.models import Customer
from customers.scoping import CustomerScopedQuerySet
from workflow.machine import StateMachine, Transition
from workflow.models import StateChange


class TicketType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    REQUEST = "request", _("Service request")
    APPOINTMENT = "appointment", _("Appointment")
    SUGGESTION = "suggestion", _("Suggestion")
    ENQUIRY = "enquiry", _("Enquiry")


class ServiceLevel(models.TextChoices):
    SPECIAL = "special", _("Special")
    PRIORITY = "priority", _("Priority")
    STANDARD = "standard", _("Standard")


# The service level of a customer's asset tier (by the tier's code); every other customer,
# and someone who is not yet a customer, is served at the standard level.
LEVEL_OF_TIER = {"private": ServiceLevel.SPECIAL, "wealth": ServiceLevel.PRIORITY}
# A complaint from a customer at this tier or above opens a retention follow-up.
RETENTION_TIER = "wealth"


class TimeLimit(models.Model):
    """How long a ticket of one type at one service level may take, in calendar days.

    Admins edit these in the Django admin; where no row exists the defaults in
    ``DEFAULT_LIMITS`` apply (for complaints the rule's 15 days, one extension to 30 with a
    reason, a second of up to 30 more with the head's approval)."""

    ticket_type = models.CharField(_("ticket type"), max_length=20, choices=TicketType.choices)
    service_level = models.CharField(
        _("service level"), max_length=10, choices=ServiceLevel.choices
    )
    answer_days = models.PositiveSmallIntegerField(_("days to answer"))
    extension_days = models.PositiveSmallIntegerField(
        _("days added by the first extension"), default=0
    )
    second_extension_days = models.PositiveSmallIntegerField(
        _("days the second extension may add at most"), default=0
    )
    alert_days = models.PositiveSmallIntegerField(_("alert this many days before"), default=3)
    escalate_again_days = models.PositiveSmallIntegerField(
        _("escalate to the parent branch this many days after the limit"), default=3
    )

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["ticket_type", "service_level"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "service_level"], name="service_time_limit_once"
            )
        ]

    def __str__(self):
        return f"{self.get_ticket_type_display()} · {self.get_service_level_display()}"


def _limits(answer, extension=0, second=0):
    return {
        "answer_days": answer,
        "extension_days": extension,
        "second_extension_days": second,
        "alert_days": 3 if answer > 3 else 1,
        "escalate_again_days": 3,
    }


DEFAULT_LIMITS = {
    TicketType.COMPLAINT: {level: _limits(15, 15, 30) for level in ServiceLevel.values},
    TicketType.REQUEST: {
        ServiceLevel.SPECIAL: _limits(1, 2),
        ServiceLevel.PRIORITY: _limits(2, 3),
        ServiceLevel.STANDARD: _limits(3, 5),
    },
    TicketType.APPOINTMENT: {level: _limits(2, 3) for level in ServiceLevel.values},
    TicketType.SUGGESTION: {level: _limits(15, 15) for level in ServiceLevel.values},
    TicketType.ENQUIRY: {
        ServiceLevel.SPECIAL: _limits(1, 2),
        ServiceLevel.PRIORITY: _limits(1, 2),
        ServiceLevel.STANDARD: _limits(2, 3),
    },
}


# How far back a ticket's receipt may be dated (a letter or a regulator's referral that
# arrives days after it was received).
RECEIVED_DAYS_BACK = 60


def validate_received_at(value):
    """Rule: a ticket is received now or earlier, at most RECEIVED_DAYS_BACK days ago."""
    from django.core.exceptions import ValidationError

    now = timezone.now()
    if value > now + timedelta(minutes=5):
        raise ValidationError(_("A ticket cannot be received in the future."))
    if value < now - timedelta(days=RECEIVED_DAYS_BACK):
        raise ValidationError(
            _("A ticket is dated at most %(days)s days back.") % {"days": RECEIVED_DAYS_BACK}
        )


def limit_for(ticket_type, service_level) -> TimeLimit:
    """The admins' row for this type and level, or an unsaved one with the defaults."""
    row = TimeLimit.objects.filter(ticket_type=ticket_type, service_level=service_level).first()
    if row is not None:
        return row
    return TimeLimit(
        ticket_type=ticket_type,
        service_level=service_level,
        **DEFAULT_LIMITS[ticket_type][service_level],
    )


class TicketQuerySet(CustomerScopedQuerySet):
    def visible_to(self, user):
        """The tickets a user may see.

        Rule: a ticket about a customer is visible exactly when the customer is
        (``Customer.objects.visible_to``, the one definition of a user's customer scope). A
        ticket with no customer (a walk-in who is not a customer yet) is visible to the user
        who took it, to its handler, to the heads whose subtree holds its handling unit, and
        to admins. Inactive and anonymous users see none.

        Performance (the lists are ordered by time left, 50 at a time): an RM's book (a few
        thousand customers) is hashed once and the list walks its index in order, checking
        each ticket's customer against it (~20 ms at a million customers). A head's scope
        can hold 200,000 customers, too many to hash on every page: there the customer is
        checked per ticket by key (a correlated EXISTS, written as a range of one value so
        that PostgreSQL does not hash the whole scope first). Aggregates over many tickets
        use ``about_visible_customers`` plus the walk-ins instead.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        walk_in = Q(received_by=user) | Q(handler=user)
        if user.is_head:
            units = list(Branch.objects.visible_to(user).values_list("id", flat=True))
            walk_in |= Q(handling_unit_id__in=units)
            about_customer = Exists(
                Customer.objects.visible_to(user).filter(
                    pk__gte=OuterRef("customer_id"), pk__lte=OuterRef("customer_id")
                )
            )
        else:
            about_customer = Q(customer__in=Customer.objects.visible_to(user))
        return self.filter(about_customer | (Q(customer__isnull=True) & walk_in))

    def about_visible_customers(self, user):
        """The tickets about customers the user may see (no walk-ins), as a plain semi-join on
        the customer scope: the form for counting many tickets at once."""
        if user.is_authenticated and user.is_active and user.is_admin:
            return self.filter(customer__isnull=False)
        return self.filter(customer__in=Customer.objects.visible_to(user))

    def running(self):
        """Tickets whose clock runs: not answered yet (the open tickets of the lists)."""
        return self.filter(state__in=Ticket.RUNNING_STATES)

    open = running

    def upheld_service_complaints(self):
        """Closed complaints found to be justified with a service cause (the staff or the
        manner failed): the quality evidence that counts against ``subject_rm`` or
        ``subject_unit`` (and the handling unit) in the scorecards."""
        return self.filter(
            ticket_type=TicketType.COMPLAINT,
            cause_class=Ticket.CauseClass.SERVICE,
            upheld=True,
            state=Ticket.State.CLOSED,
        )

    def breached(self):
        """Tickets answered late or still unanswered past their limit."""
        now = timezone.now()
        return self.filter(
            Q(answered_at__isnull=False, answered_at__gt=models.F("due_at"))
            | Q(answered_at__isnull=True, due_at__lt=now)
        )


def _is_handler(actor, ticket):
    return ticket.handler_id == actor.pk


def _may_dispatch(actor, ticket):
    return actor.is_admin or actor.is_head or ticket.received_by_id == actor.pk


def _handler_or_lead(actor, ticket):
    return _is_handler(actor, ticket) or actor.is_head or actor.is_admin


class Ticket(models.Model):
    """One complaint, service request, appointment, suggestion or enquiry.

    States move through ``workflow.services.move``: 受理 received → 已派单 dispatched →
    处理中 in hand → 已回单 answered → 办结 closed; the handler may send it back (退单) to the
    dispatcher, who dispatches it again. The clock (``due_at``) runs until it is answered.
    """

    class State(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("ticket", "Received")
        DISPATCHED = "dispatched", pgettext_lazy("ticket", "Dispatched")
        IN_HAND = "in_hand", pgettext_lazy("ticket", "In hand")
        ANSWERED = "answered", pgettext_lazy("ticket", "Answered")
        CLOSED = "closed", pgettext_lazy("ticket", "Closed")
        SENT_BACK = "sent_back", pgettext_lazy("ticket", "Sent back")

    class Channel(models.TextChoices):
        BRANCH = "branch", _("At the branch")
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Online")
        LETTER = "letter", _("Letter")
        REGULATOR = "regulator", _("Regulator referral")

    class Category(models.TextChoices):
        DEPOSITS = "deposits", _("Deposits")
        CARDS = "cards", _("Bank cards")
        LOANS = "loans", _("Loans")
        WEALTH = "wealth", _("Wealth management and funds")
        INSURANCE = "insurance", _("Insurance")
        PAYMENTS = "payments", _("Payments and transfers")
        DIGITAL = "digital", _("Mobile and online banking")
        COUNTER = "counter", _("Counter service")
        FEES = "fees", _("Fees and charges")
        OTHER = "other", _("Other")

    class CauseClass(models.TextChoices):
        BUSINESS = "business", _("Business cause")
        SERVICE = "service", _("Service cause")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        FAIR = "fair", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    RUNNING_STATES = ("received", "dispatched", "in_hand", "sent_back")

    ticket_type = models.CharField(
        pgettext_lazy("ticket", "type"), max_length=20, choices=TicketType.choices
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tickets",
        db_index=False,
    )
    # For someone who is not a customer yet.
    contact_name = models.CharField(_("name of the person"), max_length=50, blank=True)
    contact_gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    contact_phone = models.CharField(_("contact"), max_length=50, blank=True)

    channel = models.CharField(
        pgettext_lazy("ticket", "channel"), max_length=10, choices=Channel.choices
    )
    category = models.CharField(
        _("business category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    content = models.TextField(_("content"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    service_level = models.CharField(
        _("service level"),
        max_length=10,
        choices=ServiceLevel.choices,
        default=ServiceLevel.STANDARD,
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_tickets",
        db_index=False,
    )
    handling_unit = models.ForeignKey(
        Branch,
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Whom the complaint is about: recusal keeps them (and their outlet) from handling it.
    subject_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_unit = models.ForeignKey(
        Branch,
        verbose_name=_("outlet complained about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    promised_on = models.DateField(_("date promised to the customer"), null=True, blank=True)
    due_at = models.DateTimeField(_("time limit"))
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)

    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RECEIVED
    )
    cause_class = models.CharField(
        _("cause class"), max_length=10, choices=CauseClass.choices, blank=True
    )
    upheld = models.BooleanField(_("the complaint is justified"), null=True, blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    answer = models.TextField(_("answer to the customer"), blank=True)
    satisfaction = models.CharField(
        _("customer satisfaction"), max_length=15, choices=Satisfaction.choices, blank=True
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    retention_visit = models.ForeignKey(
        "visits.Visit",
        verbose_name=_("retention visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    retention_by = models.CharField(_("retention follow-up by"), max_length=50, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    state_changes = GenericRelation(StateChange)
    objects = TicketQuerySet.as_manager()

    workflow = StateMachine(
        field="state",
        transitions=[
            Transition([State.RECEIVED, State.SENT_BACK], State.DISPATCHED, may=_may_dispatch),
            Transition([State.RECEIVED, State.DISPATCHED], State.IN_HAND, may=_is_handler),
            Transition([State.DISPATCHED, State.IN_HAND], State.SENT_BACK, may=_is_handler),
            Transition(State.IN_HAND, State.ANSWERED, may=_is_handler),
            Transition(State.ANSWERED, State.IN_HAND, may=_handler_or_lead),
            Transition(State.ANSWERED, State.CLOSED, may=_handler_or_lead),
        ],
        stamps={State.ANSWERED: "answered_at", State.CLOSED: "closed_at"},
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["handler", "state", "due_at"], name="ticket_handler_clock"),
            models.Index(fields=["handling_unit", "due_at"], name="ticket_unit_clock"),
            models.Index(fields=["customer", "-received_at"], name="ticket_customer"),
            models.Index(fields=["received_at"], name="ticket_received"),
            models.Index(fields=["due_at", "id"], name="ticket_clock"),
            models.Index(
                fields=["due_at"],
                condition=Q(state__in=["received", "dispatched", "in_hand", "sent_back"]),
                name="ticket_running_clock",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(contact_name=""),
                name="ticket_names_someone",
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_ticket_type_display()} {self.who}"

    @property
    def who(self) -> str:
        return self.customer.name if self.customer_id else self.contact_name

    @property
    def is_complaint(self) -> bool:
        return self.ticket_type == TicketType.COMPLAINT

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING_STATES

    def time_left(self, now=None) -> timedelta:
        return self.due_at - (now or timezone.now())

    @property
    def overdue(self) -> bool:
        end = self.answered_at or timezone.now()
        return end > self.due_at

    def label(self) -> str:
        return f"#{self.pk}"

    def editable_by(self, user) -> bool:
        """Rule: the handler, the user who took it, heads (within their scope, which the view
        has checked) and admins change a ticket; nobody changes a closed one."""
        if self.state == self.State.CLOSED:
            return False
        return (
            user.is_admin
            or user.is_head
            or self.handler_id == user.pk
            or self.received_by_id == user.pk
        )


class TicketExtension(models.Model):
    """An extension of a ticket's time limit. The first needs a reason; the second also the
    head's recorded approval and a notice to the customer, and applies only once approved."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="extension_rows"
    )
    number = models.PositiveSmallIntegerField(_("extension"))
    reason = models.TextField(_("reason"))
    days = models.PositiveSmallIntegerField(_("days"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    customer_notice = models.TextField(_("notice to the customer"), blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["ticket", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"], name="ticket_extension_once")
        ]

    def __str__(self):
        return f"#{self.ticket_id} +{self.days}"


class TicketEvent(models.Model):
    """A logged event on a ticket: a follow-up (追单), a chase (催单), a notice to the
    customer, a note."""

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow-up")
        CHASE = "chase", _("Chase")
        NOTICE = "notice", _("Notice to the customer")
        NOTE = "note", _("Note")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(pgettext_lazy("event", "kind"), max_length=10, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"#{self.ticket_id} {self.get_kind_display()}"


class Rectification(models.Model):
    """What changes after a complaint with a business cause, who owns it and by when; tracked
    to done."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="rectifications"
    )
    action = models.CharField(_("what changes"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(done_at__isnull=True), name="rectification_open"
            )
        ]

    def __str__(self):
        return self.action


class TicketAlert(models.Model):
    """One alert or escalation of the clock: a row before it is a reminder.

    Its natural key (ticket, stage, the limit it is about, recipient) is unique, so a rerun
    or two clock runs at once create it once; an extension moves the limit, and the alerts of
    the new limit are new rows."""

    class Stage(models.TextChoices):
        NEAR = "near", _("Near its time limit")
        AT_LIMIT = "at_limit", _("At its time limit")
        ESCALATED = "escalated", _("Escalated to the head of the handling unit")
        ESCALATED_PARENT = "escalated_parent", _("Escalated to the head of the parent branch")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="alerts"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    deadline = models.DateTimeField(_("time limit"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_alerts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket alert")
        verbose_name_plural = _("ticket alerts")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "stage", "deadline", "recipient"], name="ticket_alert_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(delivered_at__isnull=True),
                name="ticket_alert_undelivered",
            )
        ]

    def __str__(self):
        return f"#{self.ticket_id} {self.get_stage_display()}"


# --- care ---------------------------------------------------------------------------------


class BankDate(models.Model):
    """A date of the bank's own (its anniversary, a customer day), solar or lunar, kept in the
    festival calendar with the traditional festivals."""

    name = models.CharField(_("name"), max_length=50)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    lunar = models.BooleanField(_("lunar date"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank date")
        verbose_name_plural = _("bank dates")
        ordering = ["month", "day"]

    def __str__(self):
        return self.name


class CareQuerySet(CustomerScopedQuerySet):
    pass


class CareAction(models.Model):
    """A card, flowers, a message, a call, a visit, a gift, an invitation or a thank-you."""

    class Kind(models.TextChoices):
        CARD = "card", _("Card")
        FLOWERS = "flowers", _("Flowers")
        MESSAGE = "message", _("Message")
        CALL = "call", _("Call")
        VISIT = "visit", pgettext_lazy("care", "Visit")
        GIFT = "gift", _("Gift")
        INVITATION = "invitation", _("Invitation")
        THANK_YOU = "thank_you", _("Thank-you")

    class Occasion(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        FESTIVAL = "festival", _("Festival")
        ILLNESS = "illness", _("Illness or worry")
        FIRST_DEAL = "first_deal", _("First deal")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="care_actions",
        db_index=False,
    )
    kind = models.CharField(pgettext_lazy("care", "kind"), max_length=12, choices=Kind.choices)
    occasion = models.CharField(_("occasion"), max_length=12, choices=Occasion.choices)
    festival = models.CharField(_("festival"), max_length=30, blank=True)
    done_on = models.DateField(_("date"), default=timezone.localdate)
    cost = models.DecimalField(
        _("cost (CNY)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CareQuerySet.as_manager()

    class Meta:
        verbose_name = _("care action")
        verbose_name_plural = _("care actions")
        ordering = ["-done_on", "-id"]
        indexes = [models.Index(fields=["customer", "-done_on"], name="care_customer")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.done_on}"


class CareBudget(models.Model):
    """What the bank spends on care and gifts for one customer of a tier in a year."""

    year = models.PositiveSmallIntegerField(_("year"))
    tier = models.ForeignKey(
        "customers.AssetTier",
        verbose_name=_("asset tier"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: customers below every tier."),
    )
    amount = models.DecimalField(
        _("budget per customer (CNY)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("care budget")
        verbose_name_plural = _("care budgets")
        ordering = ["-year", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["year", "tier"], name="care_budget_once"),
        ]

    def __str__(self):
        return f"{self.year} {self.tier or '-'}: {self.amount}"


class GiftPolicy(models.Model):
    """The value above which a gift needs the head's approval before it is given (one row)."""

    approval_above = models.DecimalField(
        _("head approval above (CNY)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("200"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("gift policy")
        verbose_name_plural = _("gift policy")

    def __str__(self):
        return str(self.approval_above)

    @classmethod
    def current(cls) -> "GiftPolicy":
        return cls.objects.order_by("pk").first() or cls()


class GiftQuerySet(CustomerScopedQuerySet):
    def given(self):
        return self.filter(given_on__isnull=False)

    def yearly_totals(self, year):
        """Per customer, the value of the gifts given in ``year``: one grouped query."""
        return (
            self.given()
            .filter(given_on__year=year)
            .values("customer_id", "customer__name", "customer__customer_no")
            .annotate(total=Sum("value"), gifts=models.Count("id"))
            .order_by("-total", "customer_id")
        )


class Gift(models.Model):
    """One line of the gift ledger: what, its value, to whom, on what occasion, by whom.

    Rule (an integrity control): a gift worth more than ``GiftPolicy.approval_above`` is
    recorded as given only after a head has approved it (``services.give_gift``)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="gifts",
        db_index=False,
    )
    item = models.CharField(_("gift"), max_length=100)
    value = models.DecimalField(
        _("value (CNY)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    occasion = models.CharField(_("occasion"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    given_on = models.DateField(_("given on"), null=True, blank=True)

    objects = GiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gift ledger")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "given_on"], name="gift_customer_year")]

    def __str__(self):
        return f"{self.item} {self.value}"

    def needs_approval(self, policy=None) -> bool:
        policy = policy or GiftPolicy.current()
        return self.value > policy.approval_above


class EventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rule: an event is seen by its organiser, by the users of its branch, by the heads
        whose subtree holds its branch, and by admins. Its invitees are seen through the
        customer scope (``Invitee.objects.visible_to``)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        mine = Q(organiser=user) | Q(branch_id=user.branch_id)
        if user.is_head:
            mine |= Q(branch__in=Branch.objects.visible_to(user))
        return self.filter(mine)


class Event(models.Model):
    """A salon or forum for customers, with invitees, attendance and follow-ups."""

    class Kind(models.TextChoices):
        SALON = "salon", _("Salon")
        FORUM = "forum", _("Customer forum")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(pgettext_lazy("event", "kind"), max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField(_("start"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at", "-id"]

    def __str__(self):
        return self.name


class InviteeQuerySet(CustomerScopedQuerySet):
    pass


class Invitee(models.Model):
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="invitees"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=200, blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)

    objects = InviteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitee")
        verbose_name_plural = _("invitees")
        constraints = [models.UniqueConstraint(fields=["event", "customer"], name="invitee_once")]

    def __str__(self):
        return f"{self.event_id}/{self.customer_id}"

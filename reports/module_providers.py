"""Providers for the modules above the core: each runs only while its app is installed
(``Provider.active``), and reads the module's tables without the module knowing."""

from datetime import timedelta

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate

from customers.models import Customer

from .providers import Batch, _cumulative, carry_forward, day_bounds, provider

# ---------------------------------------------------------------------------------------------
# Risk warnings (watchlists): credited to the customer's primary RM.


@provider("watchlists", module="watchlists")
def watchlists_provider(batch: Batch):
    from watchlists.models import Escalation, LoanCheck, WatchItem

    lo, hi = day_bounds(batch.start, batch.end)
    rm = "customer__primary_rm"
    items = WatchItem.objects.all()
    open_before = dict(
        items.filter(opened_at__lt=lo)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=lo))
        .values(rm)
        .annotate(n=Count("id"))
        .values_list(rm, "n")
    )

    def by_day(rows, field):
        return {
            (r, d): n
            for r, d, n in rows.annotate(d=TruncDate(field))
            .values(rm, "d")
            .annotate(n=Count("id"))
            .values_list(rm, "d", "n")
        }

    opened = by_day(items.filter(opened_at__gte=lo, opened_at__lt=hi), "opened_at")
    closed_rows = items.filter(closed_at__gte=lo, closed_at__lt=hi)
    closed = by_day(closed_rows, "closed_at")
    _cumulative(batch, open_before, opened, "watch_open", closed)
    for (r, d), n in opened.items():
        batch.add(r, d, "watch_new", n)
    for (r, d), n in closed.items():
        batch.add(r, d, "watch_closed", n)
    # Handled within the limits: closed without ever having been escalated.
    for (r, d), n in by_day(closed_rows.filter(escalation_level=0), "closed_at").items():
        batch.add(r, d, "watch_in_time", n)
    for r, d, n in (
        Escalation.objects.filter(on__gte=batch.start, on__lte=batch.end)
        .values("item__customer__primary_rm", "on")
        .annotate(n=Count("id"))
        .values_list("item__customer__primary_rm", "on", "n")
    ):
        batch.add(r, d, "watch_escalated", n)
    # Post-loan checks overdue at the end of the day: due before it and not done by then.
    days = set(batch.state_days)
    for day in days:
        for r, n in (
            LoanCheck.objects.filter(due_on__lt=day)
            .filter(Q(done_on__isnull=True) | Q(done_on__gt=day))
            .values("customer__primary_rm")
            .annotate(n=Count("id"))
            .values_list("customer__primary_rm", "n")
        ):
            batch.put(r, day, "checks_overdue", n)
    carry_forward(batch, ("checks_overdue",), days)


# ---------------------------------------------------------------------------------------------
# The pipeline (opportunities): amounts credited by the opportunities' splits (the owner's
# share and each assisting RM's), counts to the owner.


@provider("opportunities", module="opportunities")
def opportunities_provider(batch: Batch):
    from opportunities.models import Opportunity, OpportunityAssistant

    lo, hi = day_bounds(batch.start, batch.end)
    owner_part = ExpressionWrapper(
        F("amount") * F("owner_share") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    helper_part = ExpressionWrapper(
        F("opportunity__amount") * F("share") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    events = {
        "pipeline_new": ("created_at", Q()),
        "pipeline_won": ("closed_at", Q(stage__is_won=True)),
        "pipeline_lost": ("closed_at", Q(stage__is_won=False)),
    }
    for code, (field, condition) in events.items():
        window = {f"{field}__gte": lo, f"{field}__lt": hi}
        for r, d, amount in (
            Opportunity.objects.filter(condition, **window)
            .annotate(d=TruncDate(field))
            .values("owner", "d")
            .annotate(total=Sum(owner_part))
            .values_list("owner", "d", "total")
        ):
            batch.add(r, d, code, amount)
        helper_condition = Q(**{f"opportunity__{k}": v for k, v in window.items()}) & Q(
            **{f"opportunity__{k}": v for k, v in condition.children}
        )
        for r, d, amount in (
            OpportunityAssistant.objects.filter(helper_condition)
            .annotate(d=TruncDate(f"opportunity__{field}"))
            .values("rm", "d")
            .annotate(total=Sum(helper_part))
            .values_list("rm", "d", "total")
        ):
            batch.add(r, d, code, amount)
    # Open opportunities at the end of each day, to the owner.
    everything = Opportunity.objects.all()
    base = dict(
        everything.filter(created_at__lt=lo)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=lo))
        .values("owner")
        .annotate(n=Count("id"))
        .values_list("owner", "n")
    )

    def by_day(rows, field):
        return {
            (r, d): n
            for r, d, n in rows.annotate(d=TruncDate(field))
            .values("owner", "d")
            .annotate(n=Count("id"))
            .values_list("owner", "d", "n")
        }

    opened = by_day(everything.filter(created_at__gte=lo, created_at__lt=hi), "created_at")
    closed = by_day(everything.filter(closed_at__gte=lo, closed_at__lt=hi), "closed_at")
    _cumulative(batch, base, opened, "opportunities_open", closed)
    # Open opportunities by stage as they stand now, on the run's state days.
    stages = list(
        Opportunity.objects.filter(closed_at__isnull=True)
        .values("owner", "stage")
        .annotate(n=Count("id"))
        .values_list("owner", "stage", "n")
    )
    for day in batch.state_days:
        for r, stage, n in stages:
            batch.breakdown(r, day, "stage", stage, n)


# ---------------------------------------------------------------------------------------------
# Complaints (service): received and overdue to the customer's primary RM; upheld service-cause
# complaints to the RM complained about (quality evidence against them).


@provider("service", module="service")
def service_provider(batch: Batch):
    from service.models import Ticket, TicketType

    lo, hi = day_bounds(batch.start, batch.end)
    complaints = Ticket.objects.filter(ticket_type=TicketType.COMPLAINT)
    for r, d, n in (
        complaints.filter(received_at__gte=lo, received_at__lt=hi, customer__isnull=False)
        .annotate(d=TruncDate("received_at"))
        .values("customer__primary_rm", "d")
        .annotate(n=Count("id"))
        .values_list("customer__primary_rm", "d", "n")
    ):
        batch.add(r, d, "complaints_received", n)
    for r, d, n in (
        complaints.filter(
            closed_at__gte=lo,
            closed_at__lt=hi,
            upheld=True,
            cause_class=Ticket.CauseClass.SERVICE,
            subject_rm__isnull=False,
        )
        .annotate(d=TruncDate("closed_at"))
        .values("subject_rm", "d")
        .annotate(n=Count("id"))
        .values_list("subject_rm", "d", "n")
    ):
        batch.add(r, d, "complaints_upheld", n)
    # Unanswered past their time limit at the end of the day.
    days = set(batch.state_days)
    for day in days:
        _lo, end = day_bounds(day, day)
        for r, n in (
            complaints.filter(customer__isnull=False, due_at__lt=end, received_at__lt=end)
            .filter(Q(answered_at__isnull=True) | Q(answered_at__gte=end))
            .values("customer__primary_rm")
            .annotate(n=Count("id"))
            .values_list("customer__primary_rm", "n")
        ):
            batch.put(r, day, "complaints_overdue", n)
    carry_forward(batch, ("complaints_overdue",), days)


NEAR_LIMIT_DAYS = 3


def complaints_near_limit(user, team, day):
    """Today board: the head's customers' complaints still unanswered whose time limit is
    within three days (or past), by primary RM."""
    from service.models import Ticket, TicketType

    _lo, limit = day_bounds(day, day + timedelta(days=NEAR_LIMIT_DAYS - 1))
    return dict(
        Ticket.objects.filter(
            ticket_type=TicketType.COMPLAINT,
            customer__in=Customer.objects.visible_to(user),
            answered_at__isnull=True,
            closed_at__isnull=True,
            due_at__lt=limit,
        )
        .values("customer__primary_rm")
        .annotate(n=Count("id"))
        .values_list("customer__primary_rm", "n")
    )


def escalated_warnings(user, team, day):
    """Today board: escalated watch items of the head's customers, by primary RM."""
    from watchlists.models import WatchItem

    return dict(
        WatchItem.objects.visible_to(user)
        .filter(state=WatchItem.State.ESCALATED)
        .values("customer__primary_rm")
        .annotate(n=Count("id"))
        .values_list("customer__primary_rm", "n")
    )


def today_columns():
    """The today board's module columns, for the installed modules."""
    from django.apps import apps
    from django.utils.translation import gettext_lazy as _

    columns = {}
    if apps.is_installed("watchlists"):
        columns["watch_escalated"] = (_("Escalated warnings"), escalated_warnings)
    if apps.is_installed("service"):
        columns["complaints_near_limit"] = (_("Complaints near their limit"), complaints_near_limit)
    return columns

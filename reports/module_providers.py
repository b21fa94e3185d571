"""Providers for the modules above the core: each runs only while its app is installed
(``Provider.active``), and reads the module's tables without the module knowing."""

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

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
    return columns

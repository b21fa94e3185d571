"""What visits add to the composed pages: today's visits on the RM home, the customer's
visits on the 360 page."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from customers.models import SensitiveAccess
from home.registry import CUSTOMER_360, RM_HOME, register_panel

from .models import Visit

HOME_VISIT_ROWS = 20
CUSTOMER_VISIT_ROWS = 10


@register_panel(
    key="visits-today", slot=RM_HOME, template="visits/panels/today.html", roles={"rm"}, order=10
)
def todays_visits(user):
    """The user's visits of today (as their RM or a companion), in time order; two queries,
    plus one insert when call buttons show numbers not yet recorded today."""
    today = timezone.localdate()
    visits = visits_of_day(user, today)
    shown = visits[:HOME_VISIT_ROWS]
    record_numbers_shown(user, [v.customer for v in shown], today)
    return {"visits_today": shown, "more_visits_today": len(visits) > HOME_VISIT_ROWS}


def visits_of_day(user, day):
    """The user's visits of the day, as their RM or a companion, in time order; cancelled
    ones are left out. One row more than the panel shows, to know whether there are more."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return list(
        Visit.objects.visible_to(user)
        .filter(Visit.of_user_q(user), planned_start__gte=start, planned_start__lt=end)
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("customer")
        .order_by("planned_start", "id")[: HOME_VISIT_ROWS + 1]
    )


def record_numbers_shown(user, customers, day):
    """The call buttons carry full mobile numbers, so showing them is a view of sensitive
    details and is recorded, like the 360 page. Once a customer a day is enough: the page is
    opened many times each morning."""
    with_mobile = {c.pk for c in customers if c.mobile}
    if not with_mobile:
        return
    since = timezone.make_aware(datetime.combine(day, time.min))
    recorded = set(
        SensitiveAccess.objects.filter(
            user=user,
            action=SensitiveAccess.Action.VIEW,
            customer_id__in=with_mobile,
            at__gte=since,
            detail__page="home",
        ).values_list("customer_id", flat=True)
    )
    SensitiveAccess.objects.bulk_create(
        SensitiveAccess(
            user=user,
            customer_id=pk,
            action=SensitiveAccess.Action.VIEW,
            detail={"page": "home"},
        )
        for pk in sorted(with_mobile - recorded)
    )


@register_panel(
    key="visits-customer",
    slot=CUSTOMER_360,
    template="visits/panels/customer.html",
    order=40,
)
def customer_visits(user, *, customer):
    """The customer's last visits, newest first: one query. The 360 page has checked that
    the user sees the customer, and whoever sees a customer sees its visits."""
    return {
        "visits": list(
            customer.visits.select_related("rm").order_by("-planned_start", "-id")[
                :CUSTOMER_VISIT_ROWS
            ]
        )
    }

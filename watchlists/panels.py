"""What risk warnings add to the composed pages: the watch panel on the customer 360 page
and the visit brief, the most urgent items on the RM home, the board's counts on the head
and risk manager homes, the rules on the admin home."""

from django.db.models import Sum
from django.utils import timezone

from home.registry import (
    ADMIN_HOME,
    CUSTOMER_360,
    HEAD_HOME,
    RM_HOME,
    VISIT_BRIEF,
    register_panel,
)

from .models import LEVEL_NAMES, BoardCount, Level, LoanCheck, WatchItem
from .views import related_views

ROWS = 10


def _customer_items(user, customer):
    items = list(
        WatchItem.objects.active()
        .filter(customer=customer)
        .select_related("owner", "customer")
        .urgent_first()[:ROWS]
    )
    return items, related_views(user, items)


@register_panel(
    key="watchlists-customer",
    slot=CUSTOMER_360,
    template="watchlists/panels/customer.html",
    order=25,
)
def customer_watch(user, *, customer):
    """The customer's active items and open checks: at most five queries. The 360 page has
    checked that the user sees the customer; a related party is masked by related_views."""
    items, related = _customer_items(user, customer)
    checks = list(
        LoanCheck.objects.filter(customer=customer, done_on__isnull=True)
        .select_related("holding__product")
        .order_by("due_on")[:5]
    )
    may_open = not customer.is_archived and (
        user.is_admin or user.sees_branch_subtree or customer.primary_rm_id == user.pk
    )
    return {
        "items": items,
        "related": related,
        "checks": checks,
        "may_open": may_open,
        "today": timezone.localdate(),
        "level_names": LEVEL_NAMES,
    }


@register_panel(
    key="watchlists-brief", slot=VISIT_BRIEF, template="watchlists/panels/brief.html", order=20
)
def brief_watch(user, *, visit, customer):
    """The customer's active warnings on the printed brief (nothing when there are none):
    one query, three more when one comes from a related party."""
    items, related = _customer_items(user, customer)
    return {"items": items, "related": related}


@register_panel(
    key="watchlists-mine",
    slot=RM_HOME,
    template="watchlists/panels/mine.html",
    roles={"rm"},
    order=15,
)
def my_watch(user):
    """The RM's most urgent active items and the count of their overdue checks: two
    queries."""
    today = timezone.localdate()
    items = list(
        WatchItem.objects.visible_to(user).active().select_related("customer").urgent_first()[:ROWS]
    )
    overdue = (
        LoanCheck.objects.visible_to(user).filter(done_on__isnull=True, due_on__lt=today).count()
    )
    return {"items": items, "overdue_checks": overdue, "today": today}


@register_panel(
    key="watchlists-board",
    slot=HEAD_HOME,
    template="watchlists/panels/board.html",
    roles={"head", "risk"},
    order=15,
)
def board_summary(user):
    """Active items by level in the user's subtree, from the board snapshot (``board.py``),
    and those escalated to them (live): two queries, three more the first time ever."""
    from accounts.models import Branch

    from . import board

    if board.taken_at() is None:
        board.refresh()
    counts = dict(
        BoardCount.objects.filter(branch__in=Branch.objects.visible_to(user))
        .order_by()
        .values_list("level")
        .annotate(n=Sum("items"))
    )
    escalated = WatchItem.objects.visible_to(user).active().filter(escalated_to=user).count()
    return {
        "levels": [(label, counts.get(lv) or 0, lv) for lv, label in Level.choices],
        "escalated": escalated,
    }


@register_panel(
    key="watchlists-admin",
    slot=ADMIN_HOME,
    template="watchlists/panels/admin.html",
    roles={"admin"},
    order=40,
)
def admin_links(user):
    """Links to the rules, time limits and policy: no query."""
    return {}

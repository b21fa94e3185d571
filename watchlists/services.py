"""Writes to watch items: open, add evidence, raise, measure, close, spread to related
parties, escalate. Views, the API, the rules, the checks and the tests all call these."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch, User
from customers.models import Customer, Holding, Relation
from workflow.services import move

from .models import (
    ACTIVE_STATES,
    DEFAULT_TIME_LIMITS,
    DEPOSIT_CATEGORIES,
    LOAN_CATEGORIES,
    TOP_ESCALATION,
    Escalation,
    LedgerEntry,
    Level,
    Measure,
    Signal,
    TimeLimit,
    WatchItem,
    WatchPolicy,
    add_working_days,
    join_signals,
    split_signals,
)

ESCALATED_KIND = "watch_escalated"
# The relations a warning spreads along (担保圈 / 集团): guarantor and guaranteed party (one
# row read from both sides), shareholder and invested company, group members.
SPREADING_RELATIONS = [
    Relation.Kind.GUARANTOR,
    Relation.Kind.SHAREHOLDER,
    Relation.Kind.GROUP_MEMBER,
]


# --- exposure -------------------------------------------------------------------------------

_ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=16, decimal_places=2))


def _sum_of(holdings):
    return Coalesce(
        Subquery(
            holdings.order_by().values("status").annotate(total=Sum("amount")).values("total")[:1]
        ),
        _ZERO,
    )


def fill_exposure(items) -> int:
    """Set the exposure at opening of ``items`` (a queryset) from holdings, in one UPDATE:
    active loans, loans of the customers it guarantees, and deposits."""
    active = Holding.objects.filter(status=Holding.Status.ACTIVE)
    return items.update(
        exposure_loans=_sum_of(
            active.filter(
                customer_id=OuterRef("customer_id"), product__category__in=LOAN_CATEGORIES
            )
        ),
        exposure_guarantees=_sum_of(
            active.filter(
                product__category__in=LOAN_CATEGORIES,
                customer__relations_in__from_customer_id=OuterRef("customer_id"),
                customer__relations_in__kind=Relation.Kind.GUARANTOR,
            )
        ),
        exposure_deposits=_sum_of(
            active.filter(
                customer_id=OuterRef("customer_id"), product__category__in=DEPOSIT_CATEGORIES
            )
        ),
    )


# --- deadlines and escalation -------------------------------------------------------------


def time_limits() -> dict:
    """{(step, item level): working days}: the admins' rows over the defaults."""
    limits = {
        (step, level): days for step in range(3) for level, days in DEFAULT_TIME_LIMITS.items()
    }
    for step, level, days in TimeLimit.objects.values_list("step", "level", "working_days"):
        limits[(step, level)] = days
    return limits


def overdue_since(item, measure_due=None):
    """The day the item fell due: its review date or its next open measure's, the earlier."""
    days = [item.review_on]
    if measure_due:
        days.append(measure_due)
    return min(days)


def refresh_deadlines(item_ids, limits=None) -> None:
    """Recompute when each item climbs next, if nothing happens.

    Rule: an active item climbs from escalation level L to L+1 once the time limit of level
    L (working days, by the item's level) has passed after the later of the day it fell due
    (``overdue_since``) and the day it reached level L. A resolved item, or one at the top,
    has no deadline."""
    limits = limits or time_limits()
    items = list(
        WatchItem.objects.filter(pk__in=item_ids)
        .annotate(
            measure_due=Min("measures__due_on", filter=Q(measures__done_on__isnull=True)),
            reached_on=Min("escalations__on", filter=Q(escalations__level=F("escalation_level"))),
        )
        .only("id", "review_on", "level", "state", "escalation_level")
    )
    for item in items:
        if item.state not in ACTIVE_STATES or item.escalation_level >= TOP_ESCALATION:
            deadline = None
        else:
            start = overdue_since(item, item.measure_due)
            if item.reached_on and item.reached_on > start:
                start = item.reached_on
            deadline = add_working_days(start, limits[(item.escalation_level, item.level)])
        WatchItem.objects.filter(pk=item.pk).update(next_escalation_on=deadline)


class Targets:
    """Who stands at each escalation level for a customer's branch, read once per run.

    Rule: level 1 is the head of the customer's branch (the nearest branch up the tree that
    has an active head); level 2 the risk manager of the nearest branch up the tree that has
    one; level 3 the head of the branch above the level-1 head's."""

    def __init__(self):
        self.paths = dict(Branch.objects.values_list("id", "path"))
        self.by_path = {path: pk for pk, path in self.paths.items()}
        self.heads, self.risk = {}, {}
        for pk, role, branch_id in (
            User.objects.filter(is_active=True, role__in=[User.Role.HEAD, User.Role.RISK])
            .order_by("id")
            .values_list("id", "role", "branch_id")
        ):
            (self.heads if role == User.Role.HEAD else self.risk).setdefault(branch_id, pk)

    def _up(self, branch_id):
        """The branch ids from ``branch_id`` up to the root."""
        path = self.paths.get(branch_id, "")
        return [
            self.by_path[path[:end]]
            for end in range(len(path), 0, -11)
            if path[:end] in self.by_path
        ]

    def _nearest(self, branch_id, people):
        for pk in self._up(branch_id):
            if pk in people:
                return pk, people[pk]
        return None, None

    def user_for(self, branch_id, level):
        if level == 1:
            return self._nearest(branch_id, self.heads)[1]
        if level == 2:
            return self._nearest(branch_id, self.risk)[1]
        head_branch, _head = self._nearest(branch_id, self.heads)
        above = self._up(head_branch)[1:] if head_branch else []
        return self._nearest(above[0], self.heads)[1] if above else None


def escalate(today=None) -> int:
    """Climb every overdue item one level (see ``refresh_deadlines``); returns how many.

    Rules: an item climbs at most one level per run. Each climb is a row unique per (item,
    level), inserted with conflict-ignore and stamped with this run's time: the run then
    changes only the items whose rows it inserted itself, so a rerun, a retry or two workers
    racing climb an item once. The item moves to "escalated" as the state machine allows a
    scheduled job to (``by_system``), with its history row; the new level's person gets an
    "escalated to you" reminder the same day (and WeCom, when they chose it).

    Set-based: a fixed number of queries whatever the number of items (the people of each
    level are read once per run, ``Targets``)."""
    from django.contrib.contenttypes.models import ContentType

    from reminders.models import Reminder
    from workflow.models import StateChange

    today = today or timezone.localdate()
    now = timezone.now()
    limits = time_limits()
    targets = Targets()
    due = list(
        WatchItem.objects.active()
        .filter(next_escalation_on__lte=today, escalation_level__lt=TOP_ESCALATION)
        .annotate(measure_due=Min("measures__due_on", filter=Q(measures__done_on__isnull=True)))
        .values_list(
            "id",
            "escalation_level",
            "customer_id",
            "customer__branch_id",
            "review_on",
            "measure_due",
        )
    )
    if not due:
        return 0
    planned = {}
    for pk, level, customer_id, branch_id, review_on, measure_due in due:
        since = min(d for d in (review_on, measure_due) if d)
        planned[pk] = (level + 1, targets.user_for(branch_id, level + 1), customer_id, since)
    with transaction.atomic():
        Escalation.objects.bulk_create(
            [
                Escalation(
                    item_id=pk, level=new, to_user_id=user, on=today, overdue_since=since, at=now
                )
                for pk, (new, user, _c, since) in planned.items()
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        ours = {
            item_id: level
            for item_id, level in Escalation.objects.filter(
                at=now, item_id__in=planned
            ).values_list("item_id", "level")
            if planned[item_id][0] == level
        }
        if not ours:
            return 0
        # The climb itself, grouped so that each UPDATE sets constants.
        groups = {}
        for item_id, grade in WatchItem.objects.filter(pk__in=ours).values_list("id", "level"):
            new_level = ours[item_id]
            groups.setdefault((new_level, planned[item_id][1], grade), []).append(item_id)
        for (new_level, user, grade), ids in groups.items():
            WatchItem.objects.filter(pk__in=ids, escalation_level=new_level - 1).update(
                escalation_level=new_level,
                escalated_to_id=user,
                next_escalation_on=add_working_days(today, limits[(new_level, grade)])
                if new_level < TOP_ESCALATION
                else None,
            )
        # The state machine's system move to "escalated", with its history rows.
        transition = WatchItem.workflow.transition(WatchItem.State.OPEN, WatchItem.State.ESCALATED)
        moving = list(
            WatchItem.objects.select_for_update()
            .filter(pk__in=ours, state__in=transition.sources)
            .values_list("id", "state")
        )
        if moving and transition.by_system:
            WatchItem.objects.filter(pk__in=[pk for pk, _s in moving]).update(
                state=WatchItem.State.ESCALATED
            )
            content_type = ContentType.objects.get_for_model(WatchItem)
            StateChange.objects.bulk_create(
                [
                    StateChange(
                        content_type=content_type,
                        object_id=pk,
                        from_state=state,
                        to_state=WatchItem.State.ESCALATED,
                        actor=None,
                        at=now,
                        why={"level": ours[pk]},
                    )
                    for pk, state in moving
                ]
            )
        Reminder.objects.bulk_create(
            [
                Reminder(
                    kind=ESCALATED_KIND,
                    customer_id=planned[pk][2],
                    subject_key=f"watchitem:{pk}",
                    due_on=today,
                    lead_days=0,
                    remind_on=today,
                    recipient_id=planned[pk][1],
                )
                for pk in ours
                if planned[pk][1]
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
    return len(ours)


# --- opening and updating items -------------------------------------------------------------


def _review_on(level, today=None):
    today = today or timezone.localdate()
    return today + timedelta(days=WatchPolicy.current().review_days(level))


def _ledger(item, kind, *, by=None, text="", signals="", level=None, visit_id=None, on=None):
    return LedgerEntry.objects.create(
        customer_id=item.customer_id,
        item=item,
        kind=kind,
        on=on or timezone.localdate(),
        level=level or item.level,
        signals=signals,
        text=text[:500],
        visit_id=visit_id,
        by=by,
    )


def _first_measure(item, owner_id, today=None):
    today = today or timezone.localdate()
    due = today + timedelta(days=WatchPolicy.current().measure_days)
    return Measure.objects.create(
        item=item, kind=Measure.Kind.CALL, owner_id=owner_id, due_on=due, created_by=None
    )


@transaction.atomic
def open_item(
    *,
    actor,
    customer: Customer,
    kind: str,
    level: int,
    source: str,
    signals=(),
    description: str = "",
    review_on=None,
    measure=None,
    visit_id=None,
) -> WatchItem:
    """Open an item on ``customer`` (whom the caller has found through the actor's scope).

    Its owner is the customer's primary RM; its exposure is read from the holdings; it gets
    a first measure (a call within ``measure_days``, or the one given as ``(kind, owner,
    due_on)``); a level of warning or worse spreads to related parties."""
    item = WatchItem.objects.create(
        customer=customer,
        kind=kind,
        level=level,
        source=source,
        signals=join_signals(signals),
        description=description,
        owner_id=customer.primary_rm_id,
        review_on=review_on or _review_on(level),
        opened_by=actor,
    )
    fill_exposure(WatchItem.objects.filter(pk=item.pk))
    item.refresh_from_db()
    if measure:
        m_kind, m_owner, m_due = measure
        Measure.objects.create(
            item=item, kind=m_kind, owner=m_owner, due_on=m_due, created_by=actor
        )
    else:
        _first_measure(item, customer.primary_rm_id)
    _ledger(
        item,
        LedgerEntry.Kind.OPENED,
        by=actor,
        text=description,
        signals=item.signals,
        visit_id=visit_id,
    )
    refresh_deadlines([item.pk])
    if level >= Level.WARNING:
        spread([item.pk])
    return item


def raise_level(*, actor, item: WatchItem, level: int, text: str = "") -> bool:
    """Raise an active item to ``level`` (never lower it); returns whether it changed. One
    conditional UPDATE, so two raises at once raise it once."""
    changed = WatchItem.objects.filter(pk=item.pk, level__lt=level, state__in=ACTIVE_STATES).update(
        level=level
    )
    if changed:
        item.level = level
        _ledger(item, LedgerEntry.Kind.RAISED, by=actor, text=text, level=level)
        refresh_deadlines([item.pk])
        if level >= Level.WARNING:
            spread([item.pk])
    return bool(changed)


def _main_open_item(customer_id):
    """The customer's most urgent active item that is not a related party's echo."""
    return (
        WatchItem.objects.active()
        .filter(customer_id=customer_id, origin__isnull=True)
        .order_by("-level", "review_on", "id")
        .first()
    )


@transaction.atomic
def record_signals(
    *,
    actor,
    customer: Customer,
    signals,
    source: str,
    level: int | None = None,
    note: str = "",
    visit_id=None,
) -> tuple[WatchItem, bool]:
    """What an RM saw on a visit or a check: signals ticked open an item on the customer, or
    are added as evidence to its open one, whose level rises when ``level`` is higher.
    Returns (item, opened)."""
    signals = [str(s) for s in signals if s]
    # One writer per customer at a time: two visits logged at once open one item, not two.
    list(Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk"))
    item = _main_open_item(customer.pk)
    if item is None:
        kind = (
            WatchItem.Kind.ATTRITION
            if set(signals) <= {Signal.FUND_MOVEMENT, Signal.LARGE_FLOW}
            else WatchItem.Kind.CREDIT
        )
        item = open_item(
            actor=actor,
            customer=customer,
            kind=kind,
            level=level or Level.ATTENTION,
            source=source,
            signals=signals,
            description=note,
            visit_id=visit_id,
        )
        return item, True
    merged = join_signals([*split_signals(item.signals), *signals])
    WatchItem.objects.filter(pk=item.pk).update(signals=merged)
    item.signals = merged
    _ledger(
        item,
        LedgerEntry.Kind.EVIDENCE if visit_id else LedgerEntry.Kind.SIGNAL,
        by=actor,
        text=note,
        signals=join_signals(signals),
        visit_id=visit_id,
    )
    if level:
        raise_level(actor=actor, item=item, level=level, text=note)
    return item, False


@transaction.atomic
def update_item(*, actor, item: WatchItem, **changes) -> WatchItem:
    """Change an item's level, review date, owner, description or signals.

    Rule: ``WatchItem.editable_by`` (owner, primary RM, heads, risk managers, admins; active
    items only); a level is raised through ``raise_level`` (and may be lowered here by those
    who may edit)."""
    if not item.editable_by(actor):
        raise PermissionDenied(_("You may not change this watch item."))
    old_level = item.level
    for name, value in changes.items():
        if name == "signals":
            value = join_signals(value)
        setattr(item, name, value)
    item.save()
    if item.level > old_level:
        _ledger(item, LedgerEntry.Kind.RAISED, by=actor, level=item.level)
        if item.level >= Level.WARNING:
            spread([item.pk])
    refresh_deadlines([item.pk])
    return item


@transaction.atomic
def add_measure(*, actor, item: WatchItem, kind, owner, due_on, result="", done_on=None) -> Measure:
    if not item.editable_by(actor):
        raise PermissionDenied(_("You may not change this watch item."))
    measure = Measure.objects.create(
        item=item,
        kind=kind,
        owner=owner,
        due_on=due_on,
        result=result,
        done_on=done_on,
        created_by=actor,
    )
    refresh_deadlines([item.pk])
    return measure


@transaction.atomic
def log_measure(*, actor, measure: Measure, result: str, done_on=None) -> bool:
    """Log a measure's result; the first log wins (a second click changes nothing).

    Rule: every open item has a next measure, so logging the last open one of an active item
    plans a follow-up call (owner: the item's owner, due in ``measure_days``)."""
    if not measure.item.editable_by(actor):
        raise PermissionDenied(_("You may not change this watch item."))
    done = Measure.objects.filter(pk=measure.pk, done_on__isnull=True).update(
        done_on=done_on or timezone.localdate(), result=result
    )
    measure.refresh_from_db()
    item = measure.item
    if done and item.is_active and not item.measures.filter(done_on__isnull=True).exists():
        # Every open item has a next measure: a follow-up call until someone plans better.
        _first_measure(item, item.owner_id)
    refresh_deadlines([measure.item_id])
    return bool(done)


CLOSED_STATES = {
    WatchItem.State.RESOLVED,
    WatchItem.State.EXITED,
    WatchItem.State.FALSE_ALARM,
}


@transaction.atomic
def move_item(*, actor, item: WatchItem, to: str, reason: str = "", exposure_reduced=None):
    """Move an item through its states (``WatchItem.workflow``), with history.

    Rules: closing (resolved, exited, false alarm) asks for an outcome; "exited" records the
    exposure that was reduced. Closing stops the escalation and leaves the rule free to
    open a new item if the signal comes back later."""
    if to in CLOSED_STATES and not reason.strip():
        raise ValidationError({"reason": _("Say how it ended.")})
    if to == WatchItem.State.EXITED and exposure_reduced is None:
        raise ValidationError({"exposure_reduced": _("Enter the exposure that was reduced.")})
    change = move(actor=actor, obj=item, to=to, reason=reason)
    if to in CLOSED_STATES:
        WatchItem.objects.filter(pk=item.pk).update(
            outcome=reason, exposure_reduced=exposure_reduced, next_escalation_on=None
        )
        item.outcome, item.exposure_reduced = reason, exposure_reduced
        _ledger(item, LedgerEntry.Kind.CLOSED, by=actor, text=reason)
    else:
        refresh_deadlines([item.pk])
    return change


# --- related parties ------------------------------------------------------------------------


def related_customers(customer_ids, hops):
    """{customer id: chain from the origin} for the customers linked to ``customer_ids`` by
    a spreading relation, up to ``hops`` steps (one query per step). A chain is a list of
    ``[customer id, relation kind, direction]`` steps from the origin."""
    found = {}
    frontier = {pk: [] for pk in customer_ids}
    seen = set(customer_ids)
    for _hop in range(hops):
        if not frontier:
            break
        next_frontier = {}
        rows = Relation.objects.filter(
            Q(from_customer_id__in=frontier) | Q(to_customer_id__in=frontier),
            kind__in=SPREADING_RELATIONS,
        ).values_list("from_customer_id", "to_customer_id", "kind")
        for from_id, to_id, kind in rows:
            for here, there, direction in ((from_id, to_id, "out"), (to_id, from_id, "in")):
                if here in frontier and there not in seen:
                    seen.add(there)
                    next_frontier[there] = [*frontier[here], [there, kind, direction]]
        found.update(next_frontier)
        frontier = next_frontier
    return found


def spread(item_ids) -> int:
    """Open a derived item (source: related party, level attention) on each customer linked
    to these items' customers, one per (customer, origin) while it is open: a rerun opens
    nothing twice. Only items at warning or worse that are not echoes themselves spread."""
    origins = list(
        WatchItem.objects.active()
        .filter(pk__in=item_ids, level__gte=Level.WARNING, origin__isnull=True)
        .values_list("id", "customer_id")
    )
    if not origins:
        return 0
    hops = WatchPolicy.current().related_hops
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for origin_id, customer_id in origins:
        linked = related_customers([customer_id], hops)
        live = dict(
            Customer.objects.filter(pk__in=linked, archived_at__isnull=True).values_list(
                "id", "primary_rm_id"
            )
        )
        for other, chain in linked.items():
            if other not in live:
                continue
            rows.append(
                WatchItem(
                    customer_id=other,
                    kind=WatchItem.Kind.CREDIT,
                    level=Level.ATTENTION,
                    source=WatchItem.Source.RELATED,
                    signals=join_signals([Signal.RELATED_PARTY]),
                    owner_id=live[other],
                    review_on=_review_on(Level.ATTENTION, today),
                    origin_id=origin_id,
                    chain=[[customer_id, "", ""], *chain],
                    opened_at=now,
                )
            )
    WatchItem.objects.bulk_create(rows, ignore_conflicts=True)
    return _finish_new_items(
        WatchItem.objects.filter(opened_at=now, source=WatchItem.Source.RELATED)
    )


def _finish_new_items(new_items, today=None) -> int:
    """Exposure, a first measure, a ledger line and a deadline for items just inserted in
    bulk (by a rule or a spread)."""
    today = today or timezone.localdate()
    fill_exposure(new_items)
    created = list(new_items.values_list("id", "customer_id", "owner_id", "level", "signals"))
    due = today + timedelta(days=WatchPolicy.current().measure_days)
    Measure.objects.bulk_create(
        [
            Measure(item_id=pk, kind=Measure.Kind.CALL, owner_id=owner, due_on=due)
            for pk, _c, owner, _l, _s in created
        ],
        batch_size=2000,
    )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                customer_id=customer_id,
                item_id=pk,
                kind=LedgerEntry.Kind.OPENED,
                on=today,
                level=level,
                signals=signals,
            )
            for pk, customer_id, _o, level, signals in created
        ],
        batch_size=2000,
    )
    # Every item inserted together has the same review date and measure date: the deadline
    # is one UPDATE per level.
    limits = time_limits()
    for level in Level.values:
        review = _review_on(level, today)
        start = min(review, due)
        new_items.filter(level=level).update(
            next_escalation_on=add_working_days(start, limits[(0, level)])
        )
    return len(created)

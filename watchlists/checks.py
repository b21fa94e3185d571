"""Post-loan and routine checks (贷后检查 / 日常检查) and the annual credit review.

Rules (numbers in *Watch policy*):
- each active loan holding has one open check at a time: the first within 30 days of the
  loan's start, then one every 90 days while the borrower's classification is normal, 30 at
  special mention, 15 at substandard or worse; an active item at warning or worse shortens
  the wait to 15 (an open check further away is brought forward);
- each corporate borrower has one open annual credit review, a year after the last one (or
  after its first active loan started);
- a check is done with a result and the signal checklist; ticked signals open or update a
  watch item (``services.record_signals``), and the loan's next check is scheduled at once.

The scheduler inserts with conflict-ignore on "one open check per loan" (and per borrower
for the review), so a rerun or two workers create each check once.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Holding

from . import services
from .models import (
    LOAN_CATEGORIES,
    Level,
    LoanCheck,
    RiskSignal,
    WatchItem,
    WatchPolicy,
    join_signals,
)

ANNUAL_DAYS = 365


def _classification():
    return Subquery(
        RiskSignal.objects.filter(customer_id=OuterRef("customer_id"))
        .order_by("-as_of")
        .values("classification")[:1]
    )


def _on_watch():
    return Exists(
        WatchItem.objects.active().filter(
            customer_id=OuterRef("customer_id"), level__gte=Level.WARNING
        )
    )


def schedule(today=None, holding_ids=None) -> int:
    """Create the missing open checks; returns how many were created."""
    today = today or timezone.localdate()
    policy = WatchPolicy.current()
    loans = Holding.objects.filter(
        status=Holding.Status.ACTIVE,
        product__category__in=LOAN_CATEGORIES,
        customer__archived_at__isnull=True,
    )
    if holding_ids is not None:
        loans = loans.filter(pk__in=holding_ids)
    open_check = LoanCheck.objects.filter(holding_id=OuterRef("pk"), done_on__isnull=True)
    last_done = LoanCheck.objects.filter(holding_id=OuterRef("pk"), done_on__isnull=False)
    rows = (
        loans.exclude(Exists(open_check))
        .annotate(
            last_done=Subquery(last_done.order_by("-done_on").values("done_on")[:1]),
            grade=_classification(),
            watched=_on_watch(),
        )
        .values_list("id", "customer_id", "opened_on", "last_done", "grade", "watched")
    )
    checks = []
    for pk, customer_id, opened_on, last, grade, watched in rows.iterator(chunk_size=5000):
        if last is None:
            kind, due = (
                LoanCheck.Kind.FIRST,
                (opened_on or today) + timedelta(days=policy.first_check_days),
            )
        else:
            kind = LoanCheck.Kind.ROUTINE
            due = last + timedelta(days=policy.check_interval(grade, watched))
        checks.append(LoanCheck(customer_id=customer_id, holding_id=pk, kind=kind, due_on=due))
    created = len(LoanCheck.objects.bulk_create(checks, ignore_conflicts=True, batch_size=5000))
    if holding_ids is None:
        created += _schedule_annual(today)
        shorten(today)
    return created


def _schedule_annual(today) -> int:
    borrowers = (
        Customer.objects.filter(kind=Customer.Kind.CORPORATE, archived_at__isnull=True)
        .filter(
            Exists(
                Holding.objects.filter(
                    customer_id=OuterRef("pk"),
                    status=Holding.Status.ACTIVE,
                    product__category__in=LOAN_CATEGORIES,
                )
            )
        )
        .exclude(
            Exists(
                LoanCheck.objects.filter(
                    customer_id=OuterRef("pk"), kind=LoanCheck.Kind.ANNUAL, done_on__isnull=True
                )
            )
        )
        .annotate(
            last_review=Subquery(
                LoanCheck.objects.filter(
                    customer_id=OuterRef("pk"), kind=LoanCheck.Kind.ANNUAL, done_on__isnull=False
                )
                .order_by("-done_on")
                .values("done_on")[:1]
            ),
            first_loan=Subquery(
                Holding.objects.filter(
                    customer_id=OuterRef("pk"),
                    status=Holding.Status.ACTIVE,
                    product__category__in=LOAN_CATEGORIES,
                )
                .order_by()
                .values("customer_id")
                .annotate(first=Min("opened_on"))
                .values("first")[:1]
            ),
        )
        .values_list("id", "last_review", "first_loan")
    )
    reviews = [
        LoanCheck(
            customer_id=pk,
            kind=LoanCheck.Kind.ANNUAL,
            due_on=(last or first or today) + timedelta(days=ANNUAL_DAYS),
        )
        for pk, last, first in borrowers.iterator(chunk_size=5000)
    ]
    return len(LoanCheck.objects.bulk_create(reviews, ignore_conflicts=True, batch_size=5000))


def shorten(today) -> int:
    """Bring open routine checks of borrowers on watch (warning or worse) forward to
    ``check_days_on_watch`` days from today at the latest: one UPDATE."""
    limit = today + timedelta(days=WatchPolicy.current().check_days_on_watch)
    return (
        LoanCheck.objects.filter(done_on__isnull=True, holding__isnull=False, due_on__gt=limit)
        .filter(_on_watch())
        .update(due_on=limit)
    )


def may_complete(user, check) -> bool:
    """Rule: among those who see the customer, its primary RM, heads, risk managers and
    admins record a check; an assisting RM reads it."""
    return user.is_active and (
        user.is_admin or user.sees_branch_subtree or check.customer.primary_rm_id == user.pk
    )


@transaction.atomic
def complete(*, actor, check: LoanCheck, result: str, signals=(), note="", level=None, today=None):
    """Record a check once (a second submit changes nothing) and schedule the next one.
    Returns whether it was recorded now."""
    if not may_complete(actor, check):
        raise PermissionDenied(_("You may not record this check."))
    today = today or timezone.localdate()
    done = LoanCheck.objects.filter(pk=check.pk, done_on__isnull=True).update(
        done_on=today, done_by=actor, result=result, signals=join_signals(signals), note=note
    )
    check.refresh_from_db()
    if not done:
        return False
    if signals:
        services.record_signals(
            actor=actor,
            customer=check.customer,
            signals=signals,
            source=WatchItem.Source.CHECK,
            level=level,
            note=note or check.get_kind_display(),
        )
    if check.holding_id:
        schedule(today, holding_ids=[check.holding_id])
    else:
        _schedule_annual(today)
    return True

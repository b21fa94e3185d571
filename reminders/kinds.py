"""The reminder kinds of the CRM: birthdays, contacts' birthdays, maturities, visit
follow-ups, overdue planned visits, and asset tiers at risk."""

import calendar
from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.templatetags.crm import format_money
from customers.birthdays import birthday_between_q
from customers.models import AssetTier, Customer, CustomerAssistant, Holding, KeyContact, TierPolicy
from customers.tiers import add_months
from visits.models import Visit

from .models import Reminder
from .registry import Kind, register


def _day(value):
    """A reminder's day as the reader's language writes dates (2026年11月26日, Nov. 26, 2026)."""
    return formats.date_format(value, "DATE_FORMAT")


def _with_assistants(rows):
    """Copies for assisting RMs who asked to be reminded of the customers they assist."""
    customer_ids = {r.customer_id for r in rows}
    if not customer_ids:
        return rows
    extra = []
    helpers = CustomerAssistant.objects.filter(
        customer_id__in=customer_ids, rm__is_active=True, rm__remind_assisted=True
    ).values_list("customer_id", "rm_id")
    by_customer = {}
    for customer_id, rm_id in helpers:
        by_customer.setdefault(customer_id, []).append(rm_id)
    for row in rows:
        for rm_id in by_customer.get(row.customer_id, []):
            if rm_id != row.recipient_id:
                copy = Reminder(
                    **{
                        f.attname: getattr(row, f.attname)
                        for f in Reminder._meta.concrete_fields
                        if f.attname != "id"
                    }
                )
                copy.recipient_id = rm_id
                extra.append(copy)
    return rows + extra


def _reminder(kind, day, target, lead, customer_id, rm_id, subject=None):
    """One reminder row for ``day`` about ``target``; ``subject`` is ("holding", id),
    ("visit", id) or ("contact", id), or None when it is about the customer."""
    field, pk = subject or ("customer", customer_id)
    extra = {} if field == "customer" else {f"{field}_id": pk}
    return Reminder(
        kind=kind,
        customer_id=customer_id,
        subject_key=f"{field}:{pk}",
        due_on=target,
        lead_days=lead,
        remind_on=day,
        recipient_id=rm_id,
        **extra,
    )


def _live_customers(branch_ids):
    return Customer.objects.filter(branch_id__in=branch_ids, archived_at__isnull=True)


def _local_day_bounds(day):
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, start + timedelta(days=1)


# --- birthdays ----------------------------------------------------------------------------


def birthday_rows(day, branch_ids, leads):
    rows = []
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for customer_id, rm_id in (
            _live_customers(branch_ids)
            .filter(birthday_between_q(target, target))
            .values_list("id", "primary_rm_id")
        ):
            rows.append(_reminder("birthday", day, target, lead, customer_id, rm_id))
    return _with_assistants(rows)


def birthday_message(reminder):
    return _("%(name)s's birthday is on %(day)s.") % {
        "name": reminder.customer.name,
        "day": _day(reminder.due_on),
    }


def contact_birthday_rows(day, branch_ids, leads):
    rows = []
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        on_day = Q(birthday__month=target.month, birthday__day=target.day)
        if target.month == 2 and target.day == 28 and not calendar.isleap(target.year):
            on_day |= Q(birthday__month=2, birthday__day=29)
        for contact_id, customer_id, rm_id in KeyContact.objects.filter(
            on_day, customer__in=_live_customers(branch_ids)
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            rows.append(
                _reminder(
                    "contact_birthday",
                    day,
                    target,
                    lead,
                    customer_id,
                    rm_id,
                    subject=("contact", contact_id),
                )
            )
    return _with_assistants(rows)


def contact_birthday_message(reminder):
    return _("%(contact)s of %(name)s has a birthday on %(day)s.") % {
        "contact": reminder.contact.name,
        "name": reminder.customer.name,
        "day": _day(reminder.due_on),
    }


# --- maturities ---------------------------------------------------------------------------


def maturity_rows(day, branch_ids, leads):
    categories_by_lead = {}
    for category, days in leads.items():
        for lead in days:
            categories_by_lead.setdefault(lead, []).append(category)
    rows = []
    for lead, categories in categories_by_lead.items():
        target = day + timedelta(days=lead)
        for holding_id, customer_id, rm_id in Holding.objects.filter(
            status=Holding.Status.ACTIVE,
            matures_on=target,
            product__category__in=categories,
            customer__in=_live_customers(branch_ids),
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            rows.append(
                _reminder(
                    "maturity",
                    day,
                    target,
                    lead,
                    customer_id,
                    rm_id,
                    subject=("holding", holding_id),
                )
            )
    return _with_assistants(rows)


def maturity_message(reminder):
    holding = reminder.holding
    return _("%(product)s of %(name)s (%(amount)s) matures on %(day)s.") % {
        "product": holding.product.name,
        "name": reminder.customer.name,
        "amount": f"{format_money(holding.amount)} {holding.currency}",
        "day": _day(reminder.due_on),
    }


# --- visits ---------------------------------------------------------------------------------


def follow_up_rows(day, branch_ids, leads):
    rows = []
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for visit_id, customer_id, rm_id in Visit.objects.filter(
            status=Visit.Status.COMPLETED,
            next_visit_on=target,
            customer__in=_live_customers(branch_ids),
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            rows.append(
                _reminder(
                    "follow_up", day, target, lead, customer_id, rm_id, subject=("visit", visit_id)
                )
            )
    return _with_assistants(rows)


def follow_up_message(reminder):
    visit = reminder.visit
    return _("Follow up with %(name)s on %(day)s: %(step)s") % {
        "name": reminder.customer.name,
        "day": _day(reminder.due_on),
        "step": visit.next_step or visit.purpose,
    }


def visit_overdue_rows(day, branch_ids, leads):
    """Visits still "planned" the day after they were to end."""
    start, end = _local_day_bounds(day - timedelta(days=1))
    rows = []
    for visit_id, customer_id, rm_id in Visit.objects.filter(
        status=Visit.Status.PLANNED,
        planned_end__gte=start,
        planned_end__lt=end,
        customer__in=_live_customers(branch_ids),
    ).values_list("id", "customer_id", "customer__primary_rm_id"):
        rows.append(
            _reminder(
                "visit_overdue",
                day,
                day - timedelta(days=1),
                -1,
                customer_id,
                rm_id,
                subject=("visit", visit_id),
            )
        )
    return rows


def visit_overdue_message(reminder):
    return _("The visit to %(name)s planned for %(day)s is still open: log it or cancel it.") % {
        "name": reminder.customer.name,
        "day": _day(reminder.due_on),
    }


# --- tiers ------------------------------------------------------------------------------------


def tier_at_risk_rows(day, branch_ids, leads):
    """On the 1st of a month: customers below their asset tier's threshold for one month less
    than the downgrade rule allows, so the RM can act before the tier drops."""
    if day.day != 1:
        return []
    months = max(TierPolicy.current().downgrade_after_months - 1, 1)
    first, last = add_months(day, -months), add_months(day, -1)
    due = add_months(day, 1)
    rows = []
    for tier in AssetTier.objects.all():
        below = Q(
            balances__month__gte=first,
            balances__month__lte=last,
            balances__avg_financial_assets__lt=tier.min_assets,
        )
        for customer_id, rm_id in (
            _live_customers(branch_ids)
            .filter(asset_tier=tier)
            .annotate(months_below=Count("balances", filter=below))
            .filter(months_below=months)
            .values_list("id", "primary_rm_id")
        ):
            rows.append(_reminder("tier_at_risk", day, due, (due - day).days, customer_id, rm_id))
    return rows


def tier_at_risk_message(reminder):
    return _(
        "%(name)s has been below the %(tier)s threshold for months; "
        "the tier drops on %(day)s unless assets recover."
    ) % {
        "name": reminder.customer.name,
        "tier": reminder.customer.asset_tier,
        "day": _day(reminder.due_on),
    }


MATURING = ["time_deposit", "large_cd", "wealth", "bond", "personal_loan", "business_loan"]

register(Kind("birthday", gettext_lazy("Birthday"), birthday_rows, birthday_message, {"": [3, 0]}))
register(
    Kind(
        "contact_birthday",
        gettext_lazy("Contact's birthday"),
        contact_birthday_rows,
        contact_birthday_message,
        {"": [3, 0]},
    )
)
register(
    Kind(
        "maturity",
        gettext_lazy("Maturity"),
        maturity_rows,
        maturity_message,
        {c: [30, 7, 1] for c in MATURING},
    )
)
register(
    Kind("follow_up", gettext_lazy("Follow-up due"), follow_up_rows, follow_up_message, {"": [0]})
)
register(
    Kind(
        "visit_overdue",
        gettext_lazy("Planned visit overdue"),
        visit_overdue_rows,
        visit_overdue_message,
        {"": [-1]},
    )
)
register(
    Kind(
        "tier_at_risk",
        gettext_lazy("Tier at risk"),
        tier_at_risk_rows,
        tier_at_risk_message,
        {"": [0]},
    )
)

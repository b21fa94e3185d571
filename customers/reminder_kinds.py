"""Reminders about customers: birthdays, key contacts' birthdays, maturities and asset tiers
at risk. Registered from ``CustomersConfig.ready``; see ``reminders/registry.py`` for what a
kind says."""

import calendar
from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.templatetags.crm import format_money
from reminders.registry import Due, Kind, format_day, register

from .birthdays import birthday_between_q
from .models import AssetTier, Customer, Holding, KeyContact, TierPolicy
from .tiers import add_months


def _customer_link(reminder):
    return reverse("customers-detail", args=[reminder.customer_id])


# --- birthdays ----------------------------------------------------------------------------


def birthday_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for customer_id, rm_id in (
            Customer.objects.live_in(branch_ids)
            .filter(birthday_between_q(target, target))
            .values_list("id", "primary_rm_id")
        ):
            yield Due(customer_id, customer_id, rm_id, target, lead)


def birthday_message(reminder):
    return _("%(name)s's birthday is on %(day)s.") % {
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


def contact_birthday_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        on_day = Q(birthday__month=target.month, birthday__day=target.day)
        if target.month == 2 and target.day == 28 and not calendar.isleap(target.year):
            on_day |= Q(birthday__month=2, birthday__day=29)
        for contact_id, customer_id, rm_id in KeyContact.objects.filter(
            on_day, customer__in=Customer.objects.live_in(branch_ids)
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            yield Due(contact_id, customer_id, rm_id, target, lead)


def contact_birthday_message(reminder):
    return _("%(contact)s of %(name)s has a birthday on %(day)s.") % {
        "contact": reminder.subject.name,
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


# --- maturities ---------------------------------------------------------------------------


def maturity_due(day, branch_ids, leads):
    categories_by_lead = {}
    for category, days in leads.items():
        for lead in days:
            categories_by_lead.setdefault(lead, []).append(category)
    for lead, categories in categories_by_lead.items():
        target = day + timedelta(days=lead)
        for holding_id, customer_id, rm_id in Holding.objects.filter(
            status=Holding.Status.ACTIVE,
            matures_on=target,
            product__category__in=categories,
            customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            yield Due(holding_id, customer_id, rm_id, target, lead)


def maturity_message(reminder):
    holding = reminder.subject
    return _("%(product)s of %(name)s (%(amount)s) matures on %(day)s.") % {
        "product": holding.product.name,
        "name": reminder.customer.name,
        "amount": f"{format_money(holding.amount)} {holding.currency}",
        "day": format_day(reminder.due_on),
    }


# --- tiers ------------------------------------------------------------------------------------


def tier_at_risk_due(day, branch_ids, leads):
    """On the 1st of a month: customers below their asset tier's threshold for one month less
    than the downgrade rule allows, so the RM can act before the tier drops."""
    if day.day != 1:
        return
    months = max(TierPolicy.current().downgrade_after_months - 1, 1)
    first, last = add_months(day, -months), add_months(day, -1)
    due = add_months(day, 1)
    for tier in AssetTier.objects.all():
        below = Q(
            balances__month__gte=first,
            balances__month__lte=last,
            balances__avg_financial_assets__lt=tier.min_assets,
        )
        for customer_id, rm_id in (
            Customer.objects.live_in(branch_ids)
            .filter(asset_tier=tier)
            .annotate(months_below=Count("balances", filter=below))
            .filter(months_below=months)
            .values_list("id", "primary_rm_id")
        ):
            yield Due(customer_id, customer_id, rm_id, due, (due - day).days)


def tier_at_risk_message(reminder):
    return _(
        "%(name)s has been below the %(tier)s threshold for months; "
        "the tier drops on %(day)s unless assets recover."
    ) % {
        "name": reminder.customer.name,
        "tier": reminder.subject.asset_tier,
        "day": format_day(reminder.due_on),
    }


MATURING = ["time_deposit", "large_cd", "wealth", "bond", "personal_loan", "business_loan"]

register(
    Kind(
        key="birthday",
        label=gettext_lazy("Birthday"),
        subject_type="customer",
        find_due=birthday_due,
        message=birthday_message,
        link=_customer_link,
        default_leads={"": [3, 0]},
    )
)
register(
    Kind(
        key="contact_birthday",
        label=gettext_lazy("Contact's birthday"),
        subject_type="contact",
        find_due=contact_birthday_due,
        load_subjects=lambda ids: KeyContact.objects.filter(pk__in=ids),
        message=contact_birthday_message,
        link=_customer_link,
        default_leads={"": [3, 0]},
    )
)
register(
    Kind(
        key="maturity",
        label=gettext_lazy("Maturity"),
        subject_type="holding",
        find_due=maturity_due,
        load_subjects=lambda ids: Holding.objects.select_related("product").filter(pk__in=ids),
        message=maturity_message,
        link=_customer_link,
        default_leads={c: [30, 7, 1] for c in MATURING},
    )
)
register(
    Kind(
        key="tier_at_risk",
        label=gettext_lazy("Tier at risk"),
        subject_type="customer",
        find_due=tier_at_risk_due,
        load_subjects=lambda ids: Customer.objects.select_related("asset_tier").filter(pk__in=ids),
        message=tier_at_risk_message,
        link=_customer_link,
        copy_to_assisting_rms=False,
    )
)

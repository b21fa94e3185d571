"""A kind about another app's records (a tier change that takes effect soon), with its own
subject type, lead time, link and translations (locale/ beside this file)."""

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, TierChange
from reminders.registry import Due, Kind, format_day, register

KEY = "tier_change_ahead"


def tier_change_due(day, branch_ids, leads):
    live = Customer.objects.filter(branch_id__in=branch_ids, archived_at__isnull=True)
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for change_id, customer_id, rm_id in TierChange.objects.filter(
            effective_on=target, customer__in=live
        ).values_list("id", "customer_id", "customer__primary_rm_id"):
            yield Due(change_id, customer_id, rm_id, target, lead)


def tier_change_message(reminder):
    return _("%(name)s moves from %(old)s to %(new)s on %(day)s.") % {
        "name": reminder.customer.name,
        "old": reminder.subject.old_value,
        "new": reminder.subject.new_value,
        "day": format_day(reminder.due_on),
    }


def tier_change_link(reminder):
    customer = reverse("customers-detail", args=[reminder.customer_id])
    return f"{customer}#tier-change-{reminder.subject_pk}"


register(
    Kind(
        key=KEY,
        label=gettext_lazy("Tier change ahead"),
        subject_type="tierchange",
        find_due=tier_change_due,
        load_subjects=lambda ids: TierChange.objects.filter(pk__in=ids),
        message=tier_change_message,
        link=tier_change_link,
        default_leads={"": [2]},
    )
)

"""Reminders of the service module. Registered from ``ServiceConfig.ready``; see
``reminders/registry.py`` for what a kind says.

The three kinds of the complaint clock (near its limit, past it, escalated to you) are
written by the clock itself (``services.run_ticket_clock``, every quarter of an hour), not
by the morning run: their ``find_due`` finds nothing. The others are found each morning.
"""

from datetime import datetime, time, timedelta

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from reminders.registry import Due, Kind, format_day, register

from .care import festivals_between
from .models import Rectification, Ticket


def _nothing(day, branch_ids, leads):
    return []


def _ticket_link(reminder):
    return reverse("service-detail", args=[reminder.subject_pk])


def _load_tickets(ids):
    return Ticket.objects.filter(pk__in=ids).only("pk", "ticket_type", "due_at")


def near_message(reminder):
    return _("Ticket #%(id)s of %(name)s reaches its time limit on %(day)s.") % {
        "id": reminder.subject_pk,
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


def past_message(reminder):
    return _("Ticket #%(id)s of %(name)s reached its time limit on %(day)s.") % {
        "id": reminder.subject_pk,
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


def escalated_message(reminder):
    return _(
        "Ticket #%(id)s of %(name)s is past its time limit (%(day)s) and was escalated to you."
    ) % {
        "id": reminder.subject_pk,
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
    }


register(
    Kind(
        key="ticket_near_limit",
        label=gettext_lazy("Ticket near its time limit"),
        subject_type="ticket",
        find_due=_nothing,
        message=near_message,
        link=_ticket_link,
        copy_to_assisting_rms=False,
    )
)
register(
    Kind(
        key="ticket_past_limit",
        label=gettext_lazy("Ticket past its time limit"),
        subject_type="ticket",
        find_due=_nothing,
        message=past_message,
        link=_ticket_link,
        copy_to_assisting_rms=False,
    )
)
register(
    Kind(
        key="ticket_escalated",
        label=gettext_lazy("Ticket escalated to you"),
        subject_type="ticket",
        find_due=_nothing,
        message=escalated_message,
        link=_ticket_link,
        copy_to_assisting_rms=False,
    )
)


# --- rectifications -------------------------------------------------------------------------


def rectification_due(day, branch_ids, leads):
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        for pk, customer_id, owner_id in Rectification.objects.filter(
            due_on=target,
            done_at__isnull=True,
            ticket__customer__in=Customer.objects.live_in(branch_ids),
        ).values_list("pk", "ticket__customer_id", "owner_id"):
            yield Due(pk, customer_id, owner_id, target, lead)


def rectification_message(reminder):
    return _("Rectification after a complaint of %(name)s is due on %(day)s: %(action)s") % {
        "name": reminder.customer.name,
        "day": format_day(reminder.due_on),
        "action": reminder.subject.action if reminder.subject else "",
    }


register(
    Kind(
        key="rectification_due",
        label=gettext_lazy("Rectification due"),
        subject_type="rectification",
        find_due=rectification_due,
        load_subjects=lambda ids: Rectification.objects.filter(pk__in=ids),
        message=rectification_message,
        link=lambda r: (
            reverse("service-detail", args=[r.subject.ticket_id])
            if r.subject
            else reverse("service-list")
        ),
        default_leads={"": [3, 0]},
        copy_to_assisting_rms=False,
    )
)


# --- care -----------------------------------------------------------------------------------


def care_list_due(day, branch_ids, leads):
    """One reminder per RM of these branches whose book holds customers of an asset tier
    (the care list puts them first), ``lead`` days before each festival. Its customer is one
    of those (a reminder belongs to a customer's file); its subject the festival's date as a
    number (20260925)."""
    for lead in leads.get("", []):
        target = day + timedelta(days=lead)
        if not festivals_between(target, target):
            continue
        for rm_id, customer_id in (
            Customer.objects.live_in(branch_ids)
            .filter(asset_tier__isnull=False)
            .order_by()
            .values("primary_rm_id")
            .annotate(top=Max("id"))
            .values_list("primary_rm_id", "top")
        ):
            yield Due(int(target.strftime("%Y%m%d")), customer_id, rm_id, target, lead)


def care_list_message(reminder):
    festivals = festivals_between(reminder.due_on, reminder.due_on)
    return _("Your care list for %(festival)s on %(day)s is ready.") % {
        "festival": festivals[0].name if festivals else "",
        "day": format_day(reminder.due_on),
    }


register(
    Kind(
        key="care_list_ready",
        label=gettext_lazy("Festival care list ready"),
        subject_type="festival",
        find_due=care_list_due,
        message=care_list_message,
        link=lambda r: reverse("service-care") + f"?day={r.due_on.isoformat()}",
        default_leads={"": [7]},
        copy_to_assisting_rms=False,
    )
)


def thank_you_due(day, branch_ids, leads):
    """A new customer (a file opened the day before: their first deal with the bank) is
    thanked within 24 hours."""
    start = timezone.make_aware(datetime.combine(day - timedelta(days=1), time.min))
    end = start + timedelta(days=1)
    for customer_id, rm_id in (
        Customer.objects.live_in(branch_ids)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list("id", "primary_rm_id")
    ):
        yield Due(customer_id, customer_id, rm_id, day, 0)


def thank_you_message(reminder):
    return _("Thank %(name)s for their first deal today.") % {"name": reminder.customer.name}


register(
    Kind(
        key="thank_you_due",
        label=gettext_lazy("Thank-you due"),
        subject_type="customer",
        find_due=thank_you_due,
        message=thank_you_message,
        link=lambda r: reverse("customers-detail", args=[r.customer_id]),
        copy_to_assisting_rms=False,
    )
)

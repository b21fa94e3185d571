from datetime import date, timedelta
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import Reminder

INBOX_LIMIT = 200
RELATED = ["customer", "customer__asset_tier", "holding__product", "contact", "visit"]


def inbox_reminders(user, today):
    return Reminder.objects.visible_to(user).due(today).select_related(*RELATED)


@login_required
def inbox(request):
    """The user's reminders whose day has come, grouped by day and kind; opening the inbox
    marks them read."""
    today = timezone.localdate()
    rows = list(
        inbox_reminders(request.user, today).order_by("-remind_on", "kind", "due_on", "id")[
            :INBOX_LIMIT
        ]
    )
    unread = [r.pk for r in rows if r.read_at is None]
    if unread:
        Reminder.objects.filter(pk__in=unread).update(read_at=timezone.now())
    days = [
        {
            "day": day,
            "kinds": [
                {"label": group[0].kind_label, "reminders": group}
                for _kind, items in groupby(list(items), key=lambda r: r.kind)
                for group in [list(items)]
            ],
        }
        for day, items in groupby(rows, key=lambda r: r.remind_on)
    ]
    return TemplateResponse(request, "reminders/inbox.html", {"days": days, "today": today})


def _own(request, pk):
    return get_object_or_404(Reminder.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def mark_done(request, pk):
    reminder = _own(request, pk)
    Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True).update(done_at=timezone.now())
    messages.success(request, _("Done."))
    return redirect("reminders-inbox")


@login_required
@require_POST
def snooze(request, pk):
    """Snooze for a day, a week, or until a date (not in the past)."""
    reminder = _own(request, pk)
    today = timezone.localdate()
    choice = request.POST.get("until", "")
    until = {"day": today + timedelta(days=1), "week": today + timedelta(days=7)}.get(choice)
    if until is None:
        try:
            until = date.fromisoformat(choice)
        except ValueError:
            until = None
        if until is None or until <= today:
            messages.error(request, _("Choose a day after today to snooze until."))
            return redirect("reminders-inbox")
    reminder.snoozed_until = until
    reminder.save(update_fields=["snoozed_until"])
    messages.success(request, _("Snoozed until %(day)s.") % {"day": until})
    return redirect("reminders-inbox")

from datetime import date, timedelta
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import Reminder

INBOX_LIMIT = 200


def inbox_reminders(user, today):
    """The user's reminders whose day has come, ready to show."""
    return Reminder.objects.visible_to(user).due(today).for_display()


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
    return TemplateResponse(
        request,
        "reminders/inbox.html",
        {"days": days, "today": today, "tomorrow": today + timedelta(days=1)},
    )


def _own(request, pk):
    return get_object_or_404(Reminder.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def mark_done(request, pk):
    services.mark_done(reminder=_own(request, pk))
    messages.success(request, _("Done."))
    return redirect("reminders-inbox")


SNOOZE_PRESETS = {"day": 1, "week": 7}


@login_required
@require_POST
def snooze(request, pk):
    """Snooze for a day or a week (the buttons, ``until``), or until a day picked in the date
    field (``on``). The buttons and the date field have different names because a button's
    form posts the untouched date field too, as an empty value."""
    reminder = _own(request, pk)
    today = timezone.localdate()
    preset = SNOOZE_PRESETS.get(request.POST.get("until", ""))
    try:
        until = today + timedelta(days=preset) if preset else date.fromisoformat(request.POST["on"])
    except (KeyError, ValueError):
        messages.error(request, _("Choose a day after today to snooze until."))
        return redirect("reminders-inbox")
    try:
        services.snooze(reminder=reminder, until=until, today=today)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Snoozed until %(day)s.") % {"day": formats.date_format(until)})
    return redirect("reminders-inbox")

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from reminders.models import Reminder
from reminders.services import generate_reminders


class Command(BaseCommand):
    help = "Generate the reminders of every day since the last run, up to --date (default today)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD, today or earlier (default: today)")

    def handle(self, *args, date=None, **options):
        today = timezone.localdate()
        try:
            until = _parse(date) if date else today
        except ValueError as error:
            raise CommandError(_("--date must look like 2026-11-22.")) from error
        # A day to come would report visits still ahead as overdue, and move every branch's
        # marker past days that the morning runs then skip.
        if until > today:
            raise CommandError(
                _("--date %(day)s is after today (%(today)s); reminders are generated up to today.")
                % {"day": until, "today": today}
            )
        before = Reminder.objects.count()
        generate_reminders(until)
        self.stdout.write(
            _("%(count)d reminders created up to %(day)s.")
            % {"count": Reminder.objects.count() - before, "day": until}
        )


def _parse(raw):
    return date.fromisoformat(raw)

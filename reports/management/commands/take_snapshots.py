from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.snapshots import run_snapshots


class Command(BaseCommand):
    help = "Write the reports' daily facts of every day not written yet (up to yesterday)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--until", help="The last day to write, YYYY-MM-DD (default: yesterday)."
        )

    def handle(self, *args, until=None, **options):
        today = timezone.localdate()
        try:
            last = date.fromisoformat(until) if until else today - timedelta(days=1)
        except ValueError as error:
            raise CommandError(_("Enter the day as YYYY-MM-DD.")) from error
        if last > today:
            raise CommandError(_("Figures of a day after today cannot be written."))
        result = run_snapshots(last)
        self.stdout.write(
            _("%(days)d days written, %(rows)d rows.")
            % {"days": result["days"], "rows": result["rows"]}
        )

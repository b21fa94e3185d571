from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_date

from watchlists import board, checks, rules, services


class Command(BaseCommand):
    help = "The nightly risk work: evaluate the rules, schedule checks, escalate overdue items."

    def add_arguments(self, parser):
        parser.add_argument("--date", default=None, help="The day to run for (YYYY-MM-DD).")

    def handle(self, *args, date=None, **options):
        today = parse_date(date) if date else None
        self.stdout.write(f"rules: {rules.evaluate(today)}")
        self.stdout.write(f"checks scheduled: {checks.schedule(today)}")
        self.stdout.write(f"escalated: {services.escalate(today)}")
        board.refresh()

import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.tiers import previous_month, recompute_tiers


class Command(BaseCommand):
    help = "Apply the asset-tier and star-level rules for a month that has ended."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month)")

    def handle(self, *args, month=None, **options):
        if month is None:
            target = previous_month(timezone.localdate())
        else:
            match = re.fullmatch(r"(\d{4})-(\d{2})", month)
            if not match or not 1 <= int(match[2]) <= 12:
                raise CommandError(_("--month must look like 2026-10."))
            target = date(int(match[1]), int(match[2]), 1)
            if target >= timezone.localdate().replace(day=1):
                raise CommandError(_("The month must have ended."))
        stats = recompute_tiers(month=target)
        self.stdout.write(
            _(
                "%(month)s: %(customers)d customers, %(asset_changes)d asset-tier and "
                "%(star_changes)d star-level changes."
            )
            % {"month": target.strftime("%Y-%m"), **stats}
        )

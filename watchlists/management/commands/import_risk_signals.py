from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from customers.imports import ImportRejected
from customers.management.commands._import import ImportCommand
from watchlists import rules
from watchlists.imports import import_risk_signals


class Command(ImportCommand):
    help = (
        "Import risk data (overdue days and amounts, classification, rating, account status) "
        "from an .xlsx or .csv file: all rows or none."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help="Run the risk rules at once rather than waiting for the night.",
        )

    def handle(self, *args, file, dry_run, as_user, errors_to, evaluate, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No file at %(path)s.") % {"path": file})
        data = path.read_bytes()
        try:
            result = import_risk_signals(name=path.name, data=data, dry_run=dry_run)
        except ImportRejected as rejected:
            for error in rejected.errors[:200]:
                self.stderr.write(str(error))
            if errors_to:
                self.write_report(Path(errors_to), path.name, data, rejected.errors)
            raise CommandError(
                _("File rejected: %(n)d errors; nothing was imported.")
                % {"n": len(rejected.errors)}
            ) from None
        self.stdout.write(
            _("%(created)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
        if evaluate and not dry_run:
            found = rules.evaluate(keys={"overdue", "downgrade", "account_status"})
            for key, counts in found.items():
                self.stdout.write(f"{key}: {counts}")

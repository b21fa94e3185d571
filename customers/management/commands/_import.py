from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from customers.imports import IMPORTERS, ImportRejected, error_report


class ImportCommand(BaseCommand):
    """Shared by import_customers, import_holdings and import_balances."""

    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx or .csv (UTF-8, UTF-8 with BOM or GB18030)")
        parser.add_argument("--dry-run", action="store_true", help="Check the file, write nothing.")
        parser.add_argument("--as-user", default=None, help="Admin recorded as the author.")
        parser.add_argument(
            "--errors-to",
            default=None,
            metavar="FILE",
            help="If the file is rejected, write every problem to FILE (.xlsx): the file's "
            "rows with a column of their problems.",
        )

    def handle(self, *args, file, dry_run, as_user, errors_to, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No file at %(path)s.") % {"path": file})
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user, role=User.Role.ADMIN).first()
            if actor is None:
                raise CommandError(_("No admin is called %(name)s.") % {"name": as_user})
        importer, _columns = IMPORTERS[self.kind]
        data = path.read_bytes()
        try:
            result = importer(name=path.name, data=data, actor=actor, dry_run=dry_run)
        except ImportRejected as rejected:
            for error in rejected.errors[:200]:
                self.stderr.write(str(error))
            if len(rejected.errors) > 200:
                self.stderr.write(_("… and %(n)d more.") % {"n": len(rejected.errors) - 200})
            if errors_to:
                self.write_report(Path(errors_to), path.name, data, rejected.errors)
            raise CommandError(
                _("File rejected: %(n)d errors; nothing was imported.")
                % {"n": len(rejected.errors)}
            ) from None
        summary = _("%(created)d new, %(updated)d updated, %(unchanged)d unchanged.") % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        if dry_run:
            summary = _("Dry run, nothing written: %(summary)s") % {"summary": summary}
        self.stdout.write(summary)

    def write_report(self, target, name, data, errors):
        try:
            report = error_report(name=name, data=data, errors=errors)
        except ImportRejected:  # unreadable: the problems above are all there is
            return
        target.write_bytes(report)
        self.stderr.write(_("Every problem, row by row: %(path)s") % {"path": target})

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from customers.imports import IMPORTERS, ImportRejected


class ImportCommand(BaseCommand):
    """Shared by import_customers, import_holdings and import_balances."""

    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx or .csv (UTF-8, UTF-8 with BOM or GB18030)")
        parser.add_argument("--dry-run", action="store_true", help="Check the file, write nothing.")
        parser.add_argument("--as-user", default=None, help="Admin recorded as the author.")

    def handle(self, *args, file, dry_run, as_user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No file at %(path)s.") % {"path": file})
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user, role=User.Role.ADMIN).first()
            if actor is None:
                raise CommandError(_("No admin is called %(name)s.") % {"name": as_user})
        importer, _columns = IMPORTERS[self.kind]
        try:
            result = importer(name=path.name, data=path.read_bytes(), actor=actor, dry_run=dry_run)
        except ImportRejected as rejected:
            for error in rejected.errors[:200]:
                self.stderr.write(str(error))
            if len(rejected.errors) > 200:
                self.stderr.write(_("… and %(n)d more.") % {"n": len(rejected.errors) - 200})
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

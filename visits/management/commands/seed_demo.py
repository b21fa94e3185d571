from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.demo import DEMO_PASSWORD, LOGINS, seed_organisation
from accounts.models import User
from customers.demo import seed_customers
from home.registry import demo_seeders
from reminders.services import generate_reminders
from visits.demo import seed_visits


class Command(BaseCommand):
    help = "Load deterministic demo data. Refuses to run in production."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--customers", type=int, default=2000, help="Demo customers (default 2,000)."
        )
        parser.add_argument(
            "--modules",
            action="store_true",
            help="Only the installed modules' demo data, for customers already loaded.",
        )

    def handle(self, *args, seed, customers, modules, **options):
        if settings.IS_PRODUCTION:
            raise CommandError(_("seed_demo refuses to run with production settings."))
        if customers < 0:
            raise CommandError(_("--customers cannot be negative."))
        if modules:
            self.seed_modules(seed=seed, customers=customers)
            return
        counts = seed_organisation(seed=seed, customers=customers)
        counts["customers"] = seed_customers(count=customers, seed=seed, stdout=self.stdout)
        counts["visits"] = seed_visits(seed=seed, stdout=self.stdout)
        self.seed_modules(seed=seed, customers=customers)
        # So that the first login already shows the day's reminders.
        generate_reminders(timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data ready: %(branches)d branches, %(users)d users, "
                    "%(customers)d new customers, %(visits)d new visits."
                )
                % counts
            )
        )
        self.stdout.write(
            _("Logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for username, last_name, first_name, role, branch_code, _employee_no in LOGINS:
            self.stdout.write(
                f"  {username:<6} {last_name}{first_name}  {role.label} · {branch_code}"
            )
        # Roles a module's demo adds (the risk managers of the watchlists).
        named = {login[0] for login in LOGINS}
        others = (
            User.objects.filter(is_active=True)
            .exclude(role__in=[User.Role.RM, User.Role.HEAD])
            .exclude(username__in=named)
            .select_related("branch")
            .order_by("role", "username")[:10]
        )
        for user in others:
            self.stdout.write(
                f"  {user.username:<6} {user.last_name}{user.first_name}"
                f"  {user.get_role_display()} · {user.branch.code if user.branch else ''}"
            )

    def seed_modules(self, *, seed, customers):
        """Each installed module's demo data (idempotent: a rerun creates nothing)."""
        for seeder in demo_seeders():
            made = seeder.seed(seed=seed, customers=customers, stdout=self.stdout) or {}
            made = {label: count for label, count in made.items() if count}
            if made:
                summary = ", ".join(f"{label} {count:,}" for label, count in made.items())
                self.stdout.write(f"  {seeder.key}: {summary}")

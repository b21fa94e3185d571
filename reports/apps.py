from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and scorecards")

    def ready(self):
        from . import (
            demo,  # noqa: F401  (the demo data seeder)
            module_providers,  # noqa: F401  (watchlists, opportunities, service)
            providers,  # noqa: F401  (the core measure providers)
            schedule,  # noqa: F401  (the nightly snapshot, the Monday pack)
        )

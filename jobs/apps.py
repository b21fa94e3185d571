from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import receivers  # noqa: F401  (fails interrupted jobs when a worker starts)

        # Each app contributes its kinds of job in its own job_kinds.py (see jobs.registry).
        autodiscover_modules("job_kinds")

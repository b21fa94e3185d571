from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("Home pages and navigation")

    def ready(self):
        # Like admin.py: each installed app's panels.py and nav.py register what it adds.
        autodiscover_modules("panels", "nav")

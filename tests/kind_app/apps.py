from django.apps import AppConfig


class KindAppConfig(AppConfig):
    name = "tests.kind_app"
    label = "kind_app"

    def ready(self):
        from . import reminder_kinds  # noqa: F401

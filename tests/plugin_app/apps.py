from django.apps import AppConfig


class PluginAppConfig(AppConfig):
    """A module the project does not know about: it touches only its own folder."""

    name = "tests.plugin_app"
    label = "plugin_app"

    def ready(self):
        from . import demo  # noqa: F401

"""The home page's own navigation entry: first for every role."""

from django.utils.translation import gettext_lazy as _

from .registry import register_nav_entry

register_nav_entry(url_name="home", label=_("My day"), roles={"rm"}, order=0, module=__name__)
register_nav_entry(
    url_name="home", label=_("Overview"), roles={"head", "risk", "admin"}, order=0, module=__name__
)

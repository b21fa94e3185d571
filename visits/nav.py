from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="visits-calendar", label=_("Visits"), roles={"rm"}, order=30, module=__name__
)

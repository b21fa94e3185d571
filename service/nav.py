from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="service-list",
    label=_("Service"),
    roles={"rm", "head", "admin"},
    order=37,
    module=__name__,
)

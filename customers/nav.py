from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="customers-list", label=_("Customers"), roles={"rm"}, order=20, module=__name__
)
register_nav_entry(
    url_name="customers-list",
    label=_("Customers"),
    roles={"head", "risk"},
    order=30,
    module=__name__,
)
register_nav_entry(
    url_name="customers-list", label=_("Archive"), roles={"admin"}, order=20, module=__name__
)
register_nav_entry(
    url_name="customers-import", label=_("Import"), roles={"admin"}, order=30, module=__name__
)

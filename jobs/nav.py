from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

# Everyone may start an import or an export that runs as a job; the list is their own.
register_nav_entry(
    url_name="jobs-list",
    label=_("Background jobs"),
    roles={"rm", "head", "admin"},
    order=90,
    module=__name__,
)

from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="opportunities-board",
    label=_("Pipeline"),
    roles={"rm"},
    order=36,
    module=__name__,
)
register_nav_entry(
    url_name="opportunities-review",
    label=_("Pipeline review"),
    roles={"head", "admin"},
    order=36,
    module=__name__,
)

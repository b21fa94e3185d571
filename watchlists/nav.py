from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="watchlists-list", label=_("Watchlist"), roles={"rm"}, order=35, module=__name__
)
register_nav_entry(
    url_name="watchlists-board",
    label=_("Risk warnings"),
    roles={"head", "risk", "admin"},
    order=35,
    module=__name__,
)

from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

# One entry a role; the reports pages link to each other with the tabs of _tabs.html.
register_nav_entry(
    url_name="reports-dashboard",
    label=_("Figures"),
    roles={"head", "risk", "admin"},
    order=60,
    module=__name__,
)
register_nav_entry(
    url_name="reports-scorecard", label=_("Scorecard"), roles={"rm"}, order=60, module=__name__
)

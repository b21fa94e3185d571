from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="reports-dashboard",
    label=_("Figures"),
    roles={"head", "risk", "admin"},
    order=60,
    module=__name__,
)
register_nav_entry(
    url_name="reports-ranking",
    label=_("Ranking"),
    roles={"head", "risk", "admin"},
    order=61,
    module=__name__,
)
register_nav_entry(
    url_name="reports-monday",
    label=_("Meeting pack"),
    roles={"head"},
    order=62,
    module=__name__,
)
register_nav_entry(
    url_name="reports-dashboard", label=_("My figures"), roles={"rm"}, order=60, module=__name__
)
register_nav_entry(
    url_name="reports-scorecard", label=_("Scorecard"), roles={"rm"}, order=61, module=__name__
)
register_nav_entry(
    url_name="reports-periods",
    label=_("Assessment periods"),
    roles={"admin"},
    order=62,
    module=__name__,
)
register_nav_entry(
    url_name="reports-import",
    label=_("Import figures"),
    roles={"admin"},
    order=63,
    module=__name__,
)
register_nav_entry(
    url_name="reports-staffing",
    label=_("Staffing"),
    roles={"head", "admin"},
    order=64,
    module=__name__,
)
register_nav_entry(
    url_name="reports-today", label=_("Today"), roles={"head", "risk"}, order=59, module=__name__
)

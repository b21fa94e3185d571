from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

# Failed tasks and jobs (with a retry), and everyone's API tokens: for admins. A user's own
# API token page is in the user menu.
register_nav_entry(
    url_name="ops-tasks", label=_("Operations"), roles={"admin"}, order=96, module=__name__
)

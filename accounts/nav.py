from django.utils.translation import gettext_lazy as _

from home.registry import register_nav_entry

register_nav_entry(
    url_name="accounts-users", label=_("Team"), roles={"head"}, order=20, module=__name__
)
register_nav_entry(
    url_name="accounts-users", label=_("Users"), roles={"admin"}, order=40, module=__name__
)
register_nav_entry(
    url_name="accounts-branches", label=_("Branches"), roles={"admin"}, order=50, module=__name__
)

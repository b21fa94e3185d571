from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse

from .registry import HOME_SLOT_OF_ROLE, render_panels

TEMPLATE_OF_SLOT = {
    "rm_home": "home/rm.html",
    "head_home": "home/head.html",
    "admin_home": "home/admin.html",
}


@login_required
def home(request):
    """The first page after login; each role has its own, made of the panels that installed
    apps contribute to it."""
    slot = HOME_SLOT_OF_ROLE.get(request.user.role, "rm_home")
    return TemplateResponse(
        request, TEMPLATE_OF_SLOT[slot], {"panels": render_panels(slot, request.user)}
    )

from django.conf import settings
from django.contrib import admin
from django.http import FileResponse
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found, server_error

from crm import api
from home import views as home_views
from ops import views as ops_views

admin.site.site_header = admin.site.site_title = "CRM"


@require_safe
@cache_control(max_age=7 * 24 * 3600, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to: answer it rather than 404."""
    return FileResponse(
        open(settings.BASE_DIR / "static" / "favicon.ico", "rb"),  # FileResponse closes it
        content_type="image/x-icon",
    )


urlpatterns = [
    path("", home_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("ops/", include("ops.urls")),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("customers/", include("customers.urls")),
    path("visits/", include("visits.urls")),
    path("reminders/", include("reminders.urls")),
    path("jobs/", include("jobs.urls")),
    path("watchlists/", include("watchlists.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("service/", include("service.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("crm.api_urls")),
    path("admin/", admin.site.urls),
]


def handler404(request, exception):
    if request.path.startswith("/api/"):
        return api.json_not_found(request, exception)
    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return api.json_server_error(request)
    return server_error(request)

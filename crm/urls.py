from django.contrib import admin
from django.urls import include, path
from django.views.defaults import page_not_found, server_error

from accounts import views as accounts_views
from crm import api

admin.site.site_header = admin.site.site_title = "CRM"

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("customers/", include("customers.urls")),
    path("visits/", include("visits.urls")),
    path("reminders/", include("reminders.urls")),
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

"""The project's URLs plus the plugin's page (ROOT_URLCONF in the tests that install it)."""

from django.http import HttpResponse
from django.urls import path

from crm.urls import handler404, handler500  # noqa: F401
from crm.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("plugin/", lambda request: HttpResponse("plugin"), name="plugin-index"),
]

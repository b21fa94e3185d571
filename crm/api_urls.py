from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api

urlpatterns = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("branches/", accounts_api.BranchListView.as_view(), name="api-branches"),
    path("users/", accounts_api.UserListView.as_view(), name="api-users"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

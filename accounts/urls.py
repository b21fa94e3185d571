from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="accounts-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="accounts-logout"),
    path("password/", views.PasswordChangeView.as_view(), name="accounts-password"),
    path("language/", views.set_language, name="accounts-language"),
    path("preferences/", views.preferences, name="accounts-preferences"),
    path("users/", views.user_list, name="accounts-users"),
    path("users/new/", views.user_edit, name="accounts-user-create"),
    path("users/<int:pk>/", views.user_detail, name="accounts-user-detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="accounts-user-edit"),
    path("branches/", views.branch_list, name="accounts-branches"),
    path("branches/new/", views.branch_edit, name="accounts-branch-create"),
    path("branches/<int:pk>/edit/", views.branch_edit, name="accounts-branch-edit"),
]

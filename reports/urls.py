from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="reports-dashboard"),
    path("scorecard/", views.scorecard, name="reports-scorecard"),
    path("ranking/", views.ranking, name="reports-ranking"),
    path("monday/", views.monday, name="reports-monday"),
    path("periods/", views.periods, name="reports-periods"),
    path("import/", views.external_import, name="reports-import"),
    path("staffing/", views.staffing, name="reports-staffing"),
    path("today/", views.today, name="reports-today"),
    path("periods/<int:pk>/", views.period, name="reports-period"),
]

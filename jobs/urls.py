from django.urls import path

from . import views

urlpatterns = [
    path("", views.job_list, name="jobs-list"),
    path("<int:pk>/", views.job_detail, name="jobs-detail"),
    path("<int:pk>/download/", views.job_download, name="jobs-download"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("api-token/", views.api_token, name="ops-api-token"),
    path("api-tokens/", views.api_tokens, name="ops-api-tokens"),
    path("api-tokens/<int:user_id>/revoke/", views.api_token_revoke, name="ops-api-token-revoke"),
    path("tasks/", views.task_outcomes, name="ops-tasks"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="ops-job-retry"),
]

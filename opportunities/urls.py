from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="opportunities-board"),
    path("list/", views.opportunity_list, name="opportunities-list"),
    path("new/", views.create, name="opportunities-create"),
    path("tasks/<int:pk>/done/", views.task_done, name="opportunities-task-done"),
    path("suggestions/", views.suggestions, name="opportunities-suggestions"),
    path(
        "suggestions/<int:pk>/create/",
        views.suggestion_create,
        name="opportunities-suggestion-create",
    ),
    path(
        "suggestions/<int:pk>/dismiss/",
        views.suggestion_dismiss,
        name="opportunities-suggestion-dismiss",
    ),
    path("review/", views.pipeline_review, name="opportunities-review"),
    path("review/export/", views.review_export, name="opportunities-review-export"),
    path("targets/", views.target_lists, name="opportunities-targets"),
    path("targets/new/", views.target_create, name="opportunities-target-create"),
    path("targets/<int:pk>/", views.target_detail, name="opportunities-target-detail"),
    path("targets/names/<int:pk>/", views.target_entry, name="opportunities-target-entry"),
    path("<int:pk>/", views.detail, name="opportunities-detail"),
    path("<int:pk>/edit/", views.edit, name="opportunities-edit"),
    path("<int:pk>/move/", views.move, name="opportunities-move"),
]

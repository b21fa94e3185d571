from django.urls import path

from . import views

urlpatterns = [
    path("", views.visit_list, name="visits-list"),
    path("new/", views.visit_edit, name="visits-create"),
    path("log/", views.quick_log, name="visits-quick-log"),
    path("calendar/", views.visit_calendar, name="visits-calendar"),
    path("diary/", views.diary, name="visits-diary"),
    path("coverage/", views.coverage, name="visits-coverage"),
    path("calendar/regenerate/", views.regenerate_feed, name="visits-feed-regenerate"),
    path("feed/<str:token>.ics", views.calendar_feed, name="visits-feed"),
    path("customer-options/", views.customer_options, name="visits-customer-options"),
    path("<int:pk>/", views.visit_detail, name="visits-detail"),
    path("<int:pk>/edit/", views.visit_edit, name="visits-edit"),
    path("<int:pk>/complete/", views.visit_complete, name="visits-complete"),
    path("<int:pk>/cancel/", views.visit_cancel, name="visits-cancel"),
    path("<int:pk>/brief/", views.visit_brief, name="visits-brief"),
]

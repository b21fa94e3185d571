from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="reminders-inbox"),
    path("<int:pk>/done/", views.mark_done, name="reminders-done"),
    path("<int:pk>/snooze/", views.snooze, name="reminders-snooze"),
]

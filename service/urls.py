from django.urls import path

from . import views

urlpatterns = [
    path("", views.ticket_list, name="service-list"),
    path("new/", views.ticket_create, name="service-create"),
    path("statistics/", views.statistics, name="service-stats"),
    path("care/", views.care_list, name="service-care"),
    path("care/new/", views.care_action_create, name="service-care-create"),
    path("gifts/", views.gift_ledger, name="service-gifts"),
    path("gifts/new/", views.gift_create, name="service-gift-create"),
    path("gifts/<int:pk>/approve/", views.gift_approve, name="service-gift-approve"),
    path("gifts/<int:pk>/give/", views.gift_give, name="service-gift-give"),
    path("events/", views.event_list, name="service-events"),
    path("events/<int:pk>/", views.event_detail, name="service-event-detail"),
    path("invitees/<int:pk>/", views.invitee_update, name="service-invitee-update"),
    path("extensions/<int:pk>/approve/", views.extension_approve, name="service-extension-approve"),
    path(
        "rectifications/<int:pk>/done/", views.rectification_done, name="service-rectification-done"
    ),
    path("<int:pk>/", views.ticket_detail, name="service-detail"),
    path("<int:pk>/move/", views.ticket_move, name="service-move"),
    path("<int:pk>/dispatch/", views.ticket_dispatch, name="service-dispatch"),
    path("<int:pk>/resolution/", views.ticket_resolution, name="service-resolution"),
    path("<int:pk>/extend/", views.ticket_extend, name="service-extend"),
    path("<int:pk>/event/", views.ticket_event, name="service-event"),
    path("<int:pk>/rectification/", views.rectification_add, name="service-rectification-add"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.watchlist, name="watchlists-list"),
    path("board/", views.board, name="watchlists-board"),
    path("new/", views.item_create, name="watchlists-create"),
    path("<int:pk>/", views.item_detail, name="watchlists-detail"),
    path("<int:pk>/edit/", views.item_update, name="watchlists-update"),
    path("<int:pk>/measures/", views.measure_add, name="watchlists-measure-add"),
    path("<int:pk>/move/", views.item_move, name="watchlists-move"),
    path("measures/<int:pk>/log/", views.measure_log, name="watchlists-measure-log"),
    path("customers/<int:customer_pk>/ledger/", views.ledger, name="watchlists-ledger"),
    path(
        "customers/<int:customer_pk>/credit-file/",
        views.credit_file,
        name="watchlists-credit-file",
    ),
    path("checks/", views.check_list, name="watchlists-checks"),
    path("checks/<int:pk>/", views.check_detail, name="watchlists-check"),
    path("import/", views.risk_import, name="watchlists-import"),
]

from django.urls import path

from . import exports, views

urlpatterns = [
    path("", views.customer_list, name="customers-list"),
    path("new/", views.customer_edit, name="customers-create"),
    path("handover/", views.handover, name="customers-handover"),
    path("export/", exports.export_customers, name="customers-export"),
    path("import/", views.import_page, name="customers-import"),
    path("import/template/<str:kind>/", views.import_template, name="customers-import-template"),
    path("import/report/<str:token>/", views.import_report, name="customers-import-report"),
    path("<int:pk>/", views.customer_detail, name="customers-detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customers-edit"),
    path("<int:pk>/archive/", views.customer_archive, name="customers-archive"),
    path("<int:pk>/restore/", views.customer_restore, name="customers-restore"),
    path("<int:pk>/delete/", views.customer_delete, name="customers-delete"),
]

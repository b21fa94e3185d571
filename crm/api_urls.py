from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from customers import api as customers_api
from opportunities import api as opportunities_api
from reminders import api as reminders_api
from reports import api as reports_api
from service import api as service_api
from visits import api as visits_api
from watchlists import api as watchlists_api

router = SimpleRouter()
router.register("customers", customers_api.CustomerViewSet, basename="api-customers")
router.register("visits", visits_api.VisitViewSet, basename="api-visits")
router.register("reminders", reminders_api.ReminderViewSet, basename="api-reminders")
router.register("watch-items", watchlists_api.WatchItemViewSet, basename="api-watch-items")
router.register("loan-checks", watchlists_api.LoanCheckViewSet, basename="api-loan-checks")
router.register("opportunities", opportunities_api.OpportunityViewSet, basename="api-opportunities")
router.register("target-lists", opportunities_api.TargetListViewSet, basename="api-target-lists")
router.register(
    "target-entries", opportunities_api.TargetEntryViewSet, basename="api-target-entries"
)
router.register("tickets", service_api.TicketViewSet, basename="api-tickets")
router.register("care-actions", service_api.CareActionViewSet, basename="api-care-actions")
router.register("gifts", service_api.GiftViewSet, basename="api-gifts")

urlpatterns = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("branches/", accounts_api.BranchListView.as_view(), name="api-branches"),
    path("users/", accounts_api.UserListView.as_view(), name="api-users"),
    path("products/", customers_api.ProductListView.as_view(), name="api-products"),
    path("stages/", opportunities_api.StageListView.as_view(), name="api-stages"),
    path(
        "customers/<int:pk>/suggestions/",
        opportunities_api.CustomerSuggestionsView.as_view(),
        name="api-customer-suggestions",
    ),
    path("reports/measures/", reports_api.MeasuresView.as_view(), name="api-reports-measures"),
    path("scorecards/", reports_api.ScorecardsView.as_view(), name="api-scorecards"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The Swagger UI's own script is served as a file (no inline script: see crm.csp).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
urlpatterns += router.urls

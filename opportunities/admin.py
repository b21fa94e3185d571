from django.contrib import admin

from accounts.admin import ScopedAdminMixin

from .models import LostReason, Opportunity, Stage, SuitabilityRefusal, TargetList


class AdminOnlyMixin:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin


@admin.register(Stage)
class StageAdmin(AdminOnlyMixin, admin.ModelAdmin):
    """Names, order, probability and stale limits are the bank's to set; the codes are what
    the history records, so stages are not added or deleted here."""

    list_display = [
        "code",
        "name",
        "name_en",
        "order",
        "probability",
        "stale_days",
        "is_final",
        "is_won",
        "checks_suitability",
    ]
    list_editable = ["name", "name_en", "order", "probability", "stale_days"]
    readonly_fields = ["code", "is_final", "is_won"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LostReason)
class LostReasonAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "name_en", "needs_note", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(Opportunity)
class OpportunityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "customer", "stage", "amount", "owner", "expected_close_on"]
    list_filter = ["stage", "type", "source"]
    list_select_related = ["customer", "stage", "owner"]
    raw_id_fields = ["customer", "owner", "holding", "visit", "created_by"]
    # The stage moves only through the state machine (with its checks and history).
    readonly_fields = ["stage", "probability", "closed_at", "lost_reason", "reached_order"]


@admin.register(SuitabilityRefusal)
class SuitabilityRefusalAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "opportunity", "actor", "customer_grade", "product_level", "reason"]
    list_filter = ["reason"]
    raw_id_fields = ["opportunity", "actor", "product"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TargetList)
class TargetListAdmin(AdminOnlyMixin, admin.ModelAdmin):
    """Target lists are made from a customer filter on their own page; here they are only
    looked at and their deadline moved."""

    list_display = ["theme", "deadline", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at", "description"]

    def has_add_permission(self, request):
        return False

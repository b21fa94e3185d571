from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import ScopedAdminMixin

from .models import (
    AssetTier,
    Customer,
    Holding,
    KeyContact,
    MonthlyBalance,
    Product,
    Relation,
    SensitiveAccess,
    StarRule,
    Tag,
    TierPolicy,
)


class AdminOnlyMixin:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin


class KeyContactInline(admin.TabularInline):
    model = KeyContact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "customer_no",
        "name",
        "kind",
        "branch",
        "primary_rm",
        "asset_tier",
        "star_level",
    ]
    list_filter = ["kind", "lifecycle_stage", "asset_tier", "star_level"]
    list_select_related = ["branch", "primary_rm", "asset_tier"]
    # Prefix lookups only: each hits an index even at a million rows.
    search_fields = ["=customer_no", "^name", "^name_pinyin", "^name_initials", "^mobile"]
    raw_id_fields = ["primary_rm", "branch"]
    readonly_fields = ["asset_tier", "star_level", "monthly_avg_assets", "archived_at"]
    filter_horizontal = ["tags"]
    inlines = [KeyContactInline]
    show_full_result_count = False


@admin.register(Product)
class ProductAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "category",
        "risk_level",
        "matures",
        "min_star_level",
        "is_active",
    ]
    list_filter = ["category", "risk_level", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Holding)
class HoldingAdmin(AdminOnlyMixin, SimpleHistoryAdmin):
    list_display = ["account_no", "customer", "product", "amount", "matures_on", "status"]
    list_select_related = ["customer", "product"]
    raw_id_fields = ["customer"]
    search_fields = ["=account_no", "=customer__customer_no"]
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(customer__in=Customer.objects.visible_to(request.user))
        )


@admin.register(MonthlyBalance)
class MonthlyBalanceAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["customer", "month", "avg_financial_assets", "star_points"]
    raw_id_fields = ["customer"]
    search_fields = ["=customer__customer_no"]
    show_full_result_count = False


@admin.register(AssetTier)
class AssetTierAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "min_assets"]


@admin.register(StarRule)
class StarRuleAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["level", "min_points"]


@admin.register(TierPolicy)
class TierPolicyAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "downgrade_after_months", "star_points_months"]

    def has_add_permission(self, request):
        return not TierPolicy.objects.exists()


@admin.register(Tag)
class TagAdmin(AdminOnlyMixin, admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "customer"]
    list_filter = ["action"]
    list_select_related = ["user", "customer"]
    raw_id_fields = ["user", "customer"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Relation)
class RelationAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["from_customer", "kind", "to_customer", "note"]
    list_filter = ["kind"]
    list_select_related = ["from_customer", "to_customer"]
    raw_id_fields = ["from_customer", "to_customer"]
    show_full_result_count = False

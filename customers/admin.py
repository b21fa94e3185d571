from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import ScopedAdminMixin

from . import services
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

    # The admin follows the rules of the customer pages rather than going round them:
    # - no delete here (neither "delete selected" nor one by one): deleting needs the typed
    #   customer number on the customer's page (services.delete_customer);
    # - the primary RM and the branch are read-only on an existing file: customers change
    #   hands by handover, which keeps the assignment history and moves the reminders;
    # - saving goes through services.save_customer (scope, edit rule, assignment history);
    # - an archived file is read-only, as everywhere, until it is restored;
    # - opening a file (or an old version of it) shows full ID and mobile numbers, so it is
    #   recorded as a sensitive access; old versions are shown, never reverted to.

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.editable_by(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_change_history_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj)]
        if obj is not None:
            fields += ["primary_rm", "branch"]
        else:
            fields += ["branch"]  # a new file belongs to its primary RM's branch
        return fields

    def view_on_site(self, obj):
        return reverse("customers-detail", args=[obj.pk])

    def save_model(self, request, obj, form, change):
        obj.branch_id = obj.primary_rm.branch_id
        obj._history_user = request.user
        services.save_customer(actor=request.user, customer=obj, assistants=None)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "primary_rm":  # the same choice as on the customer form
            kwargs["queryset"] = services.handover_targets(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            services.record_sensitive_view(user=request.user, customer=obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        customer = self.get_object(request, unquote(object_id))
        if customer is None:
            raise Http404
        response = super().history_form_view(request, object_id, version_id, extra_context)
        services.record_sensitive_view(user=request.user, customer=customer)
        return response


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
        "needs_dual_recording",
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

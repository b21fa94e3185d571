from django.contrib import admin

from accounts.admin import ScopedAdminMixin

from .models import RiskSignal, TimeLimit, WatchItem, WatchPolicy, WatchRule


class AdminOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin


@admin.register(WatchRule)
class WatchRuleAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["key", "is_active", "level", "threshold", "threshold_2", "threshold_3", "note"]
    list_editable = ["is_active", "level", "threshold", "threshold_2", "threshold_3"]
    readonly_fields = ["key", "note"]

    def has_add_permission(self, request):
        return False  # the rules are code; admins switch them and set their numbers

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimeLimit)
class TimeLimitAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["step", "level", "working_days"]
    list_editable = ["working_days"]


@admin.register(WatchPolicy)
class WatchPolicyAdmin(AdminOnly, admin.ModelAdmin):
    def has_add_permission(self, request):
        return not WatchPolicy.objects.exists()


@admin.register(WatchItem)
class WatchItemAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "kind", "level", "state", "source", "rule", "review_on", "owner"]
    list_filter = ["kind", "level", "state", "source", "rule"]
    raw_id_fields = ["customer", "owner", "escalated_to", "origin", "opened_by"]
    readonly_fields = ["state"]  # states move through the workflow only


@admin.register(RiskSignal)
class RiskSignalAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "customer",
        "as_of",
        "overdue_days",
        "classification",
        "rating",
        "account_status",
    ]
    raw_id_fields = ["customer"]

from django.contrib import admin

from .models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: deliveries are written by the jobs; admins look here for failures."""

    list_display = ["day", "user", "channel", "kind", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel", "kind", "day"]
    list_select_related = ["user"]
    search_fields = ["user__username", "last_error"]
    date_hierarchy = "day"
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from customers.admin import AdminOnlyMixin

from .models import CoverageRule, Material, NeedTag, Visit


@admin.register(Visit)
class VisitAdmin(AdminOnlyMixin, SimpleHistoryAdmin):
    list_display = ["planned_start", "customer", "rm", "channel", "status"]
    list_filter = ["status", "channel"]
    list_select_related = ["customer", "rm"]
    raw_id_fields = ["customer", "rm", "follow_up"]
    filter_horizontal = ["companions", "materials", "needs", "products_discussed"]
    show_full_result_count = False

    def get_queryset(self, request):
        return Visit.objects.visible_to(request.user)


@admin.register(Material)
class MaterialAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(CoverageRule)
class CoverageRuleAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "asset_tier", "star_level", "interval_days"]


@admin.register(NeedTag)
class NeedTagAdmin(AdminOnlyMixin, admin.ModelAdmin):
    search_fields = ["name"]

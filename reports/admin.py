from django.contrib import admin

from customers.admin import AdminOnlyMixin

from .models import (
    CreditPolicy,
    ExternalFigure,
    GradeRecord,
    Indicator,
    IndicatorGroup,
    QualityItem,
    QualityMark,
    Scheme,
    StaffingRule,
    Target,
    ThresholdRule,
)


class GroupInline(admin.TabularInline):
    model = IndicatorGroup
    extra = 0


class ThresholdInline(admin.StackedInline):
    model = ThresholdRule
    extra = 0


class QualityItemInline(admin.TabularInline):
    model = QualityItem
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "line",
        "period",
        "is_active",
        "qualify_share",
        "protect_share",
        "quality_pass",
    ]
    inlines = [GroupInline, ThresholdInline, QualityItemInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    raw_id_fields = ["rm"]


@admin.register(Indicator)
class IndicatorAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "group", "measure", "weight", "method", "higher_is_better", "cap"]
    list_filter = ["group__scheme", "method"]
    list_select_related = ["group"]
    inlines = [TargetInline]


@admin.register(QualityMark)
class QualityMarkAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["item", "rm", "period_start", "points", "marked_by"]
    raw_id_fields = ["rm", "marked_by"]


@admin.register(GradeRecord)
class GradeRecordAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["rm", "line", "grade", "since", "reason", "recorded_by"]
    list_filter = ["line", "grade"]
    raw_id_fields = ["rm", "recorded_by"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = obj.recorded_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(StaffingRule)
class StaffingRuleAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["level", "minimum"]


@admin.register(CreditPolicy)
class CreditPolicyAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__"]


@admin.register(ExternalFigure)
class ExternalFigureAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["rm", "month", "measure", "amount", "imported_at"]
    list_filter = ["measure", "month"]
    raw_id_fields = ["rm", "branch"]

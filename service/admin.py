from django.contrib import admin

from customers.admin import AdminOnlyMixin

from .models import BankDate, CareBudget, Event, GiftPolicy, Invitee, TimeLimit


@admin.register(TimeLimit)
class TimeLimitAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = [
        "ticket_type",
        "service_level",
        "answer_days",
        "extension_days",
        "second_extension_days",
        "alert_days",
        "escalate_again_days",
    ]


@admin.register(CareBudget)
class CareBudgetAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["year", "tier", "amount"]


@admin.register(GiftPolicy)
class GiftPolicyAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["approval_above"]


@admin.register(BankDate)
class BankDateAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "month", "day", "lunar", "active"]


class InviteeInline(admin.TabularInline):
    model = Invitee
    extra = 0
    raw_id_fields = ["customer"]


@admin.register(Event)
class EventAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "starts_at", "branch", "organiser"]
    raw_id_fields = ["organiser"]
    inlines = [InviteeInline]

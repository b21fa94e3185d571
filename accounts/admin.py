from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Branch, User


class ScopedAdminMixin:
    """Django admin pages start from the same ``visible_to`` rule as every other page."""

    def get_queryset(self, request):
        return self.model.objects.visible_to(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin


@admin.register(Branch)
class BranchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    ordering = ["path"]
    autocomplete_fields = ["parent"]


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "branch", "employee_no", "is_active"]
    list_filter = ["role", "is_active", "branch"]
    list_select_related = ["branch"]
    search_fields = ["username", "first_name", "last_name", "employee_no", "phone"]
    autocomplete_fields = ["branch"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email", "phone")}),
        (
            _("Work"),
            {
                "fields": (
                    "role",
                    "branch",
                    "employee_no",
                    "language",
                    "remind_assisted",
                    "wecom_userid",
                    "remind_by_wecom",
                    "remind_by_wecom_robot",
                    "is_active",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "branch"),
            },
        ),
    )

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, user):
        return user.get_full_name()

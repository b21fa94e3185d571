from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: admins see that jobs ran and how they ended, not their files."""

    list_display = ["pk", "kind", "owner", "state", "created_at", "finished_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["owner"]
    exclude = ["params", "input_file", "result_file"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import TaskFailure


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["failed_at", "task", "error", "worker"]
    list_filter = ["task"]
    readonly_fields = ["task", "task_id", "args", "error", "worker", "failed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import ManagerNotice, PeriodicRun
from .runs import describe


class ReadOnly(admin.ModelAdmin):
    """Written by the periodic command only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnly):
    list_display = ["started_at", "finished_at", "ok", "what"]
    list_filter = ["ok"]
    date_hierarchy = "started_at"
    fields = ["started_at", "finished_at", "ok", "what", "summary", "error"]
    readonly_fields = fields

    @admin.display(description="ce qui a été fait")
    def what(self, obj):
        return describe(obj.summary) if obj.summary else "—"


@admin.register(ManagerNotice)
class ManagerNoticeAdmin(ReadOnly):
    list_display = ["day", "kind", "call", "count", "recipients"]
    list_filter = ["kind"]
    list_select_related = ["call"]

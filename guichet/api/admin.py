from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read only: tokens are made and revoked by their agent in « Mon compte » (the history is
    the account's); an account deactivated here opens nothing any more."""

    list_display = ["name", "user", "call", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["call"]
    list_select_related = ["user", "call"]
    search_fields = ["name", "prefix", "user__email"]
    fields = ["name", "user", "call", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

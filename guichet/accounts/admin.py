from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AccountEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def user_change_password(self, request, id, form_url=""):
        # The admin's « changer le mot de passe » goes into the account's history.
        from . import history

        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                history.record(user, request.user, AccountEvent.Action.PASSWORD_CHANGED)
        return response


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """The accounts' history, read only: it is written by the services, never by hand."""

    list_display = ["at", "subject", "action", "actor_label"]
    list_filter = ["action"]
    search_fields = ["subject__email", "actor_label"]
    date_hierarchy = "at"
    list_select_related = ["subject"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

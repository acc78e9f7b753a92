from django.contrib import admin

from .models import DemarcheLock, ImportedDossier, ImportState


class ReadOnly(admin.ModelAdmin):
    """Written by ``manage.py import_ds`` only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportState)
class ImportStateAdmin(ReadOnly):
    list_display = ["demarche_number", "call", "updated_since", "last_finished_at"]
    list_select_related = ["call"]


@admin.register(DemarcheLock)
class DemarcheLockAdmin(ReadOnly):
    list_display = ["demarche_number", "holder", "expires_at"]


@admin.register(ImportedDossier)
class ImportedDossierAdmin(ReadOnly):
    list_display = [
        "ds_number",
        "dossier",
        "ds_state",
        "ds_updated_at",
        "ds_deleted_at",
        "deactivated_at",
    ]
    list_filter = ["ds_state", "demarche_number"]
    list_select_related = ["dossier"]
    search_fields = ["=ds_number", "dossier__number"]

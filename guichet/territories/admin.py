"""Read-only admin for the reference data: it is only ever written by ``load_territories``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Arrondissement, Commune, Departement, Epci, Region


class ReadOnlyAdmin(admin.ModelAdmin):
    list_filter: Any = ("vintage",)
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "population", "vintage")
    search_fields = ("code", "search_name")


@admin.register(Departement)
class DepartementAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "region_code", "population", "vintage")
    search_fields = ("=code", "search_name")


@admin.register(Arrondissement)
class ArrondissementAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "departement_code", "vintage")
    list_filter = ("vintage", "departement_code")
    search_fields = ("=code", "name")


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = (
        "insee_code",
        "name",
        "departement_code",
        "population",
        "siren",
        "epci_siren",
        "postcodes",
        "vintage",
    )
    list_filter = ("vintage", "region_code")
    search_fields = ("=insee_code", "=siren", "search_name", "postcodes")
    exclude = ("epci",)


class MembersInline(admin.TabularInline):
    model = Commune
    fk_name = "epci"
    verbose_name = "commune membre"
    verbose_name_plural = "communes membres"
    fields = ("insee_code", "name", "population", "departement_code")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Epci)
class EpciAdmin(ReadOnlyAdmin):
    list_display = (
        "siren",
        "name",
        "epci_type",
        "financing_mode",
        "population",
        "departements",
        "seat_insee",
        "vintage",
    )
    list_filter = ("vintage", "epci_type", "financing_mode")
    search_fields = ("=siren", "search_name")
    inlines = (MembersInline,)

from django.contrib import admin

from .models import Call, CollectionSession, Envelope, Fund, FundAxis


class FundAxisInline(admin.TabularInline):
    model = FundAxis
    extra = 0


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["name", "total"]
    inlines = [FundAxisInline]


class EnvelopeInline(admin.TabularInline):
    model = Envelope
    extra = 0


class SessionInline(admin.TabularInline):
    model = CollectionSession
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "departement_code", "opens_on", "deadline", "is_demo"]
    readonly_fields = ["definition", "source_file", "loaded_at"]
    inlines = [EnvelopeInline, SessionInline]

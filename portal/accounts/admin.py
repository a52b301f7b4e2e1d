from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.gis.admin import GISModelAdmin

from portal.accounts.models import (
    Organisation,
    RecognitionAgreement,
    Region,
    User,
    Verification,
)
from portal.widgets import LocalOSMWidget


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "adcode", "province")


@admin.register(RecognitionAgreement)
class RecognitionAgreementAdmin(admin.ModelAdmin):
    list_display = ("title", "region_a", "region_b", "starts_on", "ends_on", "scopes")


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "user", "organisation", "status", "created_at", "decided_at")
    list_filter = ("kind", "status")
    readonly_fields = ("proof",)


@admin.register(Organisation)
class OrganisationAdmin(GISModelAdmin):
    gis_widget = LocalOSMWidget
    list_display = ("name", "kind", "region", "uscc", "location_confidence")
    list_filter = ("kind", "region", "location_confidence")
    search_fields = ("name", "name_en", "uscc")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "organisation", "roles", "verified_region", "is_staff")
    list_filter = ("verified_region", "is_staff")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "门户 Portal",
            {"fields": ("organisation", "roles", "phone", "verified_region", "verified_at")},
        ),
    )
    autocomplete_fields = ("organisation",)

from django.contrib import admin

from sharing.techmarket.models import (
    BrokerProfile,
    Inquiry,
    InquiryTransition,
    ListingFile,
    ListingReview,
    Match,
    Patent,
    ServiceRequest,
    TechContract,
    TechListing,
    TechNeed,
)


class PatentInline(admin.TabularInline):
    model = Patent
    extra = 0


class ListingFileInline(admin.TabularInline):
    model = ListingFile
    extra = 0
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


class ReviewInline(admin.TabularInline):
    # Decisions are made through the review workflow, where the reason is required.
    model = ListingReview
    extra = 0
    can_delete = False
    readonly_fields = [
        "reviewer",
        "decision",
        "secrecy_checked",
        "export_control_checked",
        "reason",
        "decided_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TechListing)
class TechListingAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "region", "status", "trl", "confidentiality"]
    list_filter = ["status", "region", "hightech_field", "confidentiality", "export_controlled"]
    search_fields = ["title", "keywords"]
    raw_id_fields = ["organisation", "created_by"]
    readonly_fields = ["status", "submitted_at", "published_at", "created_at", "updated_at"]
    inlines = [PatentInline, ListingFileInline, ReviewInline]


@admin.register(TechNeed)
class TechNeedAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "region", "status", "expires_on"]
    list_filter = ["status", "region", "hightech_field"]
    search_fields = ["title"]
    raw_id_fields = ["organisation", "created_by"]
    readonly_fields = ["status", "published_at", "created_at", "updated_at"]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["listing", "need", "score", "computed_at"]
    raw_id_fields = ["listing", "need"]


@admin.register(BrokerProfile)
class BrokerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "fields", "active"]
    raw_id_fields = ["user"]


class TransitionInline(admin.TabularInline):
    model = InquiryTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "by", "note", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ["listing", "firm", "broker", "stage", "created_at"]
    list_filter = ["stage", "close_reason"]
    raw_id_fields = ["listing", "need", "firm", "created_by", "broker"]
    readonly_fields = ["stage", "close_reason", "close_note", "nda_accepted_at"]
    inlines = [TransitionInline]


@admin.register(TechContract)
class TechContractAdmin(admin.ModelAdmin):
    list_display = [
        "inquiry",
        "contract_type",
        "amount",
        "seller",
        "buyer",
        "signed_on",
        "registered_on",
    ]
    list_filter = ["contract_type"]
    raw_id_fields = ["inquiry", "seller", "buyer", "recorded_by"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["kind", "organisation", "status", "handler", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["requester", "organisation", "listing", "need", "handler"]

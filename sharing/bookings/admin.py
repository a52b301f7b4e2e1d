"""Admin for the booking engine. Rules are edited on the instrument's own page (inlines);
bookings, transitions and the voucher ledger are read, not rewritten: status changes and
money go through the services so that every change is recorded."""

from django.contrib import admin

from sharing.bookings.models import (
    Blackout,
    Booking,
    BookingPolicy,
    BookingTransition,
    CalendarOverride,
    OpeningHours,
    Qualification,
    Voucher,
    VoucherEntry,
    WaitlistEntry,
)
from sharing.catalogue.models import Instrument


class BookingPolicyInline(admin.StackedInline):
    model = BookingPolicy
    can_delete = False
    extra = 0
    max_num = 1


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class BlackoutInline(admin.TabularInline):
    model = Blackout
    extra = 0


class QualificationInline(admin.TabularInline):
    model = Qualification
    fk_name = "instrument"
    extra = 0
    raw_id_fields = ("user", "granted_by")


# The rules belong on the instrument's page; the catalogue app cannot know about bookings
# (arrows point sharing.bookings → sharing.catalogue), so the inlines are added from here, to
# the instrument's admin as registered: the catalogue's admin module is not one bookings reads,
# and it is registered first (admin modules load in INSTALLED_APPS order, catalogue first).
instrument_admin = admin.site.get_model_admin(Instrument)
instrument_admin.inlines = [
    *instrument_admin.inlines,
    BookingPolicyInline,
    OpeningHoursInline,
    BlackoutInline,
    QualificationInline,
]


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "instrument",
        "slot_minutes",
        "min_minutes",
        "max_minutes",
        "buffer_minutes",
        "closed_on_holidays",
        "qualification_required",
        "weekly_quota_minutes",
    )
    list_filter = ("closed_on_holidays", "qualification_required")
    raw_id_fields = ("instrument",)
    search_fields = ("instrument__name",)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    list_editable = ("is_workday", "note")
    date_hierarchy = "date"


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("user", "instrument", "valid_until", "granted_by")
    raw_id_fields = ("user", "instrument", "granted_by")
    search_fields = ("user__username", "instrument__name")


class TransitionInline(admin.TabularInline):
    model = BookingTransition
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class VoucherEntryInline(admin.TabularInline):
    model = VoucherEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "voucher", "booking", "kind", "amount")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "instrument",
        "requester",
        "period",
        "status",
        "cross_region",
        "rate_category",
        "fee_estimate",
        "charge",
    )
    list_filter = ("status", "cross_region", "rate_category", "instrument__region")
    search_fields = ("=id", "requester__username", "instrument__name")
    list_select_related = ("instrument", "requester")
    raw_id_fields = ("instrument", "requester", "series")
    # Status and money change only through the services (recorded transitions, ledger rows).
    readonly_fields = (
        "status",
        "period",
        "blocked",
        "cross_region",
        "rate_category",
        "hourly_rate",
        "fee_estimate",
        "charge",
        "checked_in_at",
        "checked_out_at",
        "created_at",
        "updated_at",
    )
    inlines = [TransitionInline, VoucherEntryInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "organisation",
        "issuing_region",
        "amount",
        "balance",
        "valid_from",
        "valid_until",
    )
    list_filter = ("issuing_region", "accepted_in")
    search_fields = ("code", "organisation__name")
    raw_id_fields = ("organisation",)
    inlines = [VoucherEntryInline]

    def get_readonly_fields(self, request, obj=None):
        # The balance follows the ledger; once issued, the amount does too.
        return ("balance", "amount", "created_at") if obj else ("balance", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.balance = obj.amount
        super().save_model(request, obj, form, change)


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("user", "instrument", "period", "created_at", "notified_at")
    raw_id_fields = ("user", "instrument")
    readonly_fields = ("notified_at",)

from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from portal.enqueue import enqueue_on_commit
from portal.widgets import LocalOSMWidget
from sharing.catalogue.feed_import import tasks
from sharing.catalogue.models import (
    FeedSource,
    ImportJob,
    ImportRejection,
    Instrument,
    InstrumentClass,
    Platform,
)
from sharing.catalogue.services import instrument_save


@admin.register(Platform)
class PlatformAdmin(GISModelAdmin):
    gis_widget = LocalOSMWidget
    list_display = ("name", "kind", "level", "region", "host", "location_confidence")
    list_filter = ("kind", "level", "region", "location_confidence")
    search_fields = ("name", "name_en")
    autocomplete_fields = ("host",)


@admin.register(InstrumentClass)
class InstrumentClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")


@admin.register(Instrument)
class InstrumentAdmin(GISModelAdmin):
    gis_widget = LocalOSMWidget
    list_display = (
        "name",
        "model",
        "organisation",
        "region",
        "category_code",
        "running_status",
        "sharing_mode",
        "withdrawn_at",
    )
    list_filter = ("region", "category", "running_status", "sharing_mode", "source")
    search_fields = ("name", "model", "internal_code")
    raw_id_fields = ("organisation", "platform")
    autocomplete_fields = ("managers",)
    readonly_fields = ("source", "source_key", "created_at", "updated_at")
    exclude = ("category",)
    show_full_result_count = False  # no COUNT(*) over a million rows on every page

    def save_model(self, request, obj, form, change):
        instrument_save(instrument=obj)


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "title",
        "location",
        "enabled",
        "interval_minutes",
        "last_run_at",
        "last_status",
    )
    list_filter = ("enabled", "last_status")
    readonly_fields = ("last_run_at", "last_status", "last_error")
    actions = ["sync_now"]

    @admin.action(description=_("立即同步所选数据源"))
    def sync_now(self, request, queryset):
        for source in queryset:
            enqueue_on_commit(tasks.sync_feed_source, source.pk)
        self.message_user(request, _("已排队同步。"), messages.SUCCESS)


class RejectionInline(admin.TabularInline):
    model = ImportRejection
    extra = 0
    can_delete = False
    readonly_fields = ("row_number", "column", "reason", "value")
    max_num = 0


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "source_name",
        "original_filename",
        "status",
        "rows_read",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "withdrawn",
        "created_at",
    )
    list_filter = ("status", "source")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    inlines = [RejectionInline]

    def has_add_permission(self, request):
        return False

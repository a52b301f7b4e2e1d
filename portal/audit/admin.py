from django.contrib import admin

from portal.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is looked at here, never edited."""

    list_display = ("at", "actor_label", "action", "target_type", "target_label", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_label", "target_label", "target_id", "action")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

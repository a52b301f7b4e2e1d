from django.contrib import admin

from portal.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "user",
        "about_type",
        "about_id",
        "created_at",
        "emailed_at",
        "attempts",
    )
    list_filter = ("kind",)
    search_fields = ("user__username", "subject")
    readonly_fields = [f.name for f in Notification._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

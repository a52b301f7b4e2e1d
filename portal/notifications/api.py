"""My notifications in the API: keyset pages newest first, and marking one read."""

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.cursors import CURSOR_HELP
from portal.api.keyset import SortKey, by_id
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.errors import NotFound
from portal.notifications import kinds
from portal.notifications.models import Notification
from portal.notifications.services import notification_mark_read

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Newest first; the order matches the index notification_user_recent (user, -created_at).
KEYS = (SortKey("created_at", descending=True, kind=datetime.datetime), by_id(descending=True))
SCOPE = "notifications"


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=kinds.choices(), read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    booking = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "subject", "body", "booking", "created_at", "read_at"]
        read_only_fields = fields

    def get_booking(self, note: Notification) -> int | None:
        return note.about_id if note.about_type == "booking" else None


class NotificationListQuerySerializer(serializers.Serializer):
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )
    cursor = serializers.CharField(required=False, max_length=500, help_text=CURSOR_HELP)
    unread = serializers.BooleanField(
        required=False, default=False, help_text=_("只列出未读通知。")
    )


class NotificationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text=_("下一页地址；没有更多结果时为 null。"))
    results = NotificationSerializer(many=True)


class NotificationListApi(APIView):
    """Signed in: my notifications, newest first, in keyset pages (no counting): follow
    ``next`` until it is null."""

    @extend_schema(
        summary="My notifications",
        operation_id="notifications_list",
        parameters=[NotificationListQuerySerializer],
        responses=NotificationPageSerializer,
    )
    def get(self, request):
        data = query_params(NotificationListQuerySerializer, request)
        qs = Notification.objects.filter(user=request.user)
        if data["unread"]:
            qs = qs.filter(read_at__isnull=True)
        answer = keyset_answer(
            request,
            qs,
            keys=KEYS,
            scope=SCOPE,
            cursor=data.get("cursor"),
            size=data["page_size"],
            serialize=lambda rows: NotificationSerializer(rows, many=True).data,
        )
        return Response(answer)


class NotificationReadApi(APIView):
    """Signed in: mark one of my notifications read. Someone else's answers 404, as if it did
    not exist."""

    @extend_schema(
        summary="Mark a notification read",
        operation_id="notifications_read",
        request=None,
        responses={200: NotificationSerializer, 404: OpenApiResponse(description="Not mine")},
    )
    def post(self, request, pk: int):
        note = notification_mark_read(user=request.user, notification_id=pk)
        if note is None:
            raise NotFound(_("通知不存在。"))
        return Response(NotificationSerializer(note).data)

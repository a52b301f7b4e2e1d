"""My notifications in the API: keyset pages newest first, marking one or all read, and my
preferences per kind (which channels besides the pages)."""

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
from portal.notifications import kinds, links
from portal.notifications.models import Channel, Notification
from portal.notifications.selectors import notification_list, preferences
from portal.notifications.services import (
    channels_offered,
    notification_mark_read,
    notification_preferences_set,
    notifications_mark_all_read,
)

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Newest first; the order matches the index notification_user_recent (user, -created_at).
KEYS = (SortKey("created_at", descending=True, kind=datetime.datetime), by_id(descending=True))
SCOPE = "notifications"


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=kinds.choices(), read_only=True)
    # The kinds are registered by the apps, not model choices: the model says the label.
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    booking = serializers.SerializerMethodField()
    link = serializers.CharField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("通知所涉对象的页面地址（预约、意向、成果等）；没有时为 null。"),
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "subject",
            "body",
            "booking",
            "link",
            "created_at",
            "read_at",
        ]
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
        qs = notification_list(user=request.user, unread=data["unread"])
        answer = keyset_answer(
            request,
            qs,
            keys=KEYS,
            scope=SCOPE,
            cursor=data.get("cursor"),
            size=data["page_size"],
            serialize=lambda rows: NotificationSerializer(links.attach(rows), many=True).data,
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
        return Response(NotificationSerializer(links.attach([note])[0]).data)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("这次标为已读的通知数。"))


class NotificationReadAllApi(APIView):
    """Signed in: mark all my unread notifications read."""

    @extend_schema(
        summary="Mark all my notifications read",
        operation_id="notifications_read_all",
        request=None,
        responses=MarkedSerializer,
    )
    def post(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=kinds.choices())
    label = serializers.CharField(read_only=True)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        max_length=len(Channel.choices),
        help_text=_("页面之外的通知方式；空列表表示只在页面上提示。"),
    )


class PreferencesSerializer(serializers.Serializer):
    offered = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        read_only=True,
        help_text=_("可以选择的通知方式（短信需要已登记手机号且已开通）。"),
    )
    preferences = PreferenceSerializer(many=True)


class NotificationPreferencesApi(APIView):
    """Signed in: how I get each kind of notification. PUT sets the kinds it names and leaves
    the others as they were."""

    def _answer(self, user):
        return Response(
            {"offered": channels_offered(user=user), "preferences": preferences(user=user)}
        )

    @extend_schema(
        summary="My notification preferences",
        operation_id="notifications_preferences",
        responses=PreferencesSerializer,
    )
    def get(self, request):
        return self._answer(request.user)

    @extend_schema(
        summary="Set my notification preferences",
        operation_id="notifications_preferences_set",
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
    )
    def put(self, request):
        incoming = PreferencesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        choices = {
            row["kind"]: list(row["channels"]) for row in incoming.validated_data["preferences"]
        }
        notification_preferences_set(user=request.user, choices=choices)
        return self._answer(request.user)

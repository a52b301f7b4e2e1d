"""The sample-order API: the price list of an instrument, orders and their stages, the report.

Thin views: a serializer checks the input's shape, a service does the work and asks the rule
(403 for the wrong person, 409 for the wrong stage), an order a caller may not see is 404.
"""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import keyset
from portal.api.pages import keyset_answer
from portal.api.query import query_params
from portal.api.views import ActionApi, JsonForErrors
from portal.errors import NotFound, RuleBroken, require
from sharing.bookings.models import SampleOrder, TestItem
from sharing.bookings.orders import rules, selectors, services
from sharing.bookings.orders.serializers import (
    CancelSerializer,
    OrderListQuerySerializer,
    QuoteSerializer,
    ReportUploadSerializer,
    SampleOrderCreateSerializer,
    SampleOrderDetailSerializer,
    SampleOrderPageSerializer,
    SampleOrderSerializer,
    TestItemSerializer,
)
from sharing.bookings.rules import may_manage_instrument
from sharing.bookings.selectors import bookable_instrument_get

ORDER = (keyset.by_id(descending=True),)
CURSOR_SCOPE = "sample-orders"
ERRORS = {
    400: OpenApiResponse(description="Bad input or a broken rule (error.rule)."),
    403: OpenApiResponse(description="Not allowed for this person."),
    404: OpenApiResponse(description="No such order visible to this person."),
    409: OpenApiResponse(description="The order's stage does not allow it."),
}


def _detail(order: SampleOrder) -> dict:
    return SampleOrderDetailSerializer(selectors.order_detail(order)).data


# --- Price list --------------------------------------------------------------------------------


def _sees_inactive(request, instrument) -> bool:
    user = request.user
    return user.is_authenticated and may_manage_instrument(user=user, instrument=instrument) is None


class TestItemListApi(APIView):
    """GET (anyone): the active test items of a shared instrument (its managers also see the
    inactive ones). POST: the instrument's managers add an item."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="The test price list of an instrument",
        operation_id="instruments_test_items_list",
        responses=TestItemSerializer(many=True),
    )
    def get(self, request, pk: int):
        instrument = selectors.shared_instrument_get(pk=pk)
        items = selectors.test_items(
            instrument=instrument, with_inactive=_sees_inactive(request, instrument)
        )
        return Response(TestItemSerializer(items, many=True).data)

    @extend_schema(
        summary="Add a test item",
        operation_id="instruments_test_items_create",
        request=TestItemSerializer,
        responses={201: TestItemSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        if not request.user.is_authenticated:
            self.permission_denied(request)
        instrument = bookable_instrument_get(pk=pk)
        require(may_manage_instrument(user=request.user, instrument=instrument))
        payload = TestItemSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.test_item_create(
            by=request.user, instrument=instrument, **payload.validated_data
        )
        return Response(TestItemSerializer(item).data, status=status.HTTP_201_CREATED)


class TestItemDetailApi(APIView):
    """The instrument's managers change (PATCH) or remove (DELETE) an item; an item orders refer
    to is set inactive rather than deleted."""

    def _item(self, request, pk: int, item_pk: int) -> TestItem:
        instrument = bookable_instrument_get(pk=pk)
        require(may_manage_instrument(user=request.user, instrument=instrument))
        return selectors.test_item_get(instrument=instrument, pk=item_pk)

    @extend_schema(
        summary="Change a test item",
        operation_id="instruments_test_items_update",
        request=TestItemSerializer(partial=True),
        responses={200: TestItemSerializer, **ERRORS},
    )
    def patch(self, request, pk: int, item_pk: int):
        item = self._item(request, pk, item_pk)
        payload = TestItemSerializer(item, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        item = services.test_item_update(by=request.user, item=item, **payload.validated_data)
        return Response(TestItemSerializer(item).data)

    @extend_schema(
        summary="Remove a test item",
        operation_id="instruments_test_items_destroy",
        responses={204: None, **ERRORS},
    )
    def delete(self, request, pk: int, item_pk: int):
        item = self._item(request, pk, item_pk)
        services.test_item_remove(by=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Orders ------------------------------------------------------------------------------------


class SampleOrderListCreateApi(APIView):
    """Signed in. GET: my orders, or with role=manager those on the instruments I manage (all
    for administrators); newest first, keyset pages. POST: order a test."""

    @extend_schema(
        summary="My sample-testing orders, or those on instruments I manage",
        operation_id="sample_orders_list",
        parameters=[OrderListQuerySerializer],
        responses=SampleOrderPageSerializer,
    )
    def get(self, request):
        data = query_params(OrderListQuerySerializer, request)
        qs = selectors.order_list(user=request.user, role=data["role"], status=data.get("status"))
        return Response(
            keyset_answer(
                request,
                qs,
                keys=ORDER,
                scope=CURSOR_SCOPE,
                cursor=data.get("cursor"),
                size=data["page_size"],
                serialize=lambda rows: SampleOrderSerializer(rows, many=True).data,
            )
        )

    @extend_schema(
        summary="Order a test",
        operation_id="sample_orders_create",
        request=SampleOrderCreateSerializer,
        responses={201: SampleOrderDetailSerializer, **ERRORS},
    )
    def post(self, request):
        payload = SampleOrderCreateSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        instrument = bookable_instrument_get(pk=data["instrument"])
        items = []
        for line in data["items"]:
            try:
                item = selectors.test_item_get(instrument=instrument, pk=line["test_item"])
            except NotFound as exc:
                raise RuleBroken(
                    _("检测项目不属于该仪器。"),
                    rule="test_item_unavailable",
                    fields={"items": [_("检测项目不属于该仪器。")]},
                ) from exc
            items.append((item, line["quantity"]))
        order = services.order_create(
            customer=request.user,
            instrument=instrument,
            samples=[dict(sample) for sample in data["samples"]],
            items=items,
            urgent=data["urgent"],
            project_name=data["project_name"],
            notes=data["notes"],
            voucher=data.get("voucher"),
            project=data.get("project"),
        )
        return Response(_detail(order), status=status.HTTP_201_CREATED)


class SampleOrderDetailApi(APIView):
    """One order with its samples, items and history: its customer, the instrument's managers
    and administrators; anyone else 404."""

    @extend_schema(
        summary="One sample-testing order",
        operation_id="sample_orders_retrieve",
        responses=SampleOrderDetailSerializer,
    )
    def get(self, request, pk: int):
        return Response(_detail(selectors.order_get(pk=pk, user=request.user)))


class _OrderActionApi(ActionApi):
    service = None

    def get_object(self, request, pk: int) -> SampleOrder:
        return selectors.order_get(pk=pk, user=request.user)

    def respond(self, request, obj) -> Response:
        return Response(_detail(obj))

    def act(self, request, order, data):
        return type(self).service(order=order, by=request.user, **data)


def _action(name: str, summary: str, service, serializer=None, doc: str = ""):
    schema = extend_schema(
        summary=summary,
        operation_id=f"sample_orders_{name}",
        request=serializer,
        responses={200: SampleOrderDetailSerializer, **ERRORS},
    )

    def post(self, request, pk: int):
        return _OrderActionApi.post(self, request, pk)

    return type(
        f"SampleOrder{name.title()}Api",
        (_OrderActionApi,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "input_serializer": serializer,
            "service": staticmethod(service),
            "post": schema(post),
        },
    )


SampleOrderQuoteApi = _action(
    "quote",
    "Quote an order",
    services.order_quote,
    QuoteSerializer,
    "The instrument's managers confirm or change the price and the report date (until the "
    "customer accepts). A price below zero is 400 (error.rule = negative_money).",
)
SampleOrderAcceptApi = _action(
    "accept",
    "Accept the quote",
    services.order_accept,
    doc="The customer accepts the quote, once: a second accept is 409.",
)
SampleOrderReceiveApi = _action(
    "receive", "Samples received", services.order_receive, doc="A manager received the samples."
)
SampleOrderStartApi = _action(
    "start", "Testing started", services.order_start, doc="A manager starts the testing."
)
SampleOrderCloseApi = _action(
    "close", "Close the order", services.order_close, doc="A manager closes a reported order."
)
SampleOrderCancelApi = _action(
    "cancel",
    "Cancel the order",
    services.order_cancel,
    CancelSerializer,
    "The customer before accepting the quote; a manager any time before the report. "
    "A reason is required.",
)


class SampleOrderReportApi(APIView):
    """GET: the report (PDF) as an attachment, to the customer (while a member of the ordering
    organisation), the instrument's managers and administrators. POST (multipart): a manager
    uploads the report of an order under test; the file must be a real PDF within 20 MB."""

    content_negotiation_class = JsonForErrors

    def get_parsers(self):
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(
        summary="Download the test report",
        operation_id="sample_orders_report_download",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def get(self, request, pk: int):
        order = selectors.order_get(pk=pk, user=request.user)
        require(rules.may_download_report(user=request.user, order=order))
        if not _has_report(order):
            raise NotFound(_("该委托尚无检测报告。"))
        report = order.report
        response = FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.original_name,
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @extend_schema(
        summary="Upload the test report (PDF)",
        operation_id="sample_orders_report",
        request={"multipart/form-data": ReportUploadSerializer},
        responses={200: SampleOrderDetailSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        order = selectors.order_get(pk=pk, user=request.user)
        payload = ReportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = services.order_report(
            order=order, by=request.user, upload=payload.validated_data["file"]
        )
        return Response(_detail(order))


def _has_report(order: SampleOrder) -> bool:
    try:
        order.report  # noqa: B018
    except SampleOrder.report.RelatedObjectDoesNotExist:
        return False
    return True

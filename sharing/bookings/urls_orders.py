"""Routes of sample-testing orders (委托测试) and instruments' test price lists."""

from django.urls import path, re_path

from sharing.bookings.orders import api

ACTIONS = {
    "quote": api.SampleOrderQuoteApi,
    "accept": api.SampleOrderAcceptApi,
    "receive": api.SampleOrderReceiveApi,
    "start": api.SampleOrderStartApi,
    "close": api.SampleOrderCloseApi,
    "cancel": api.SampleOrderCancelApi,
}

urlpatterns = [
    path(
        "instruments/<int:pk>/test-items/",
        api.TestItemListApi.as_view(),
        name="instrument-test-items",
    ),
    path(
        "instruments/<int:pk>/test-items/<int:item_pk>/",
        api.TestItemDetailApi.as_view(),
        name="instrument-test-item",
    ),
    path("sample-orders/", api.SampleOrderListCreateApi.as_view(), name="sample-order-list"),
    path("sample-orders/<int:pk>/", api.SampleOrderDetailApi.as_view(), name="sample-order-detail"),
    # POST uploads the report, GET downloads it; with or without the trailing slash.
    re_path(
        r"^sample-orders/(?P<pk>[0-9]+)/report/?$",
        api.SampleOrderReportApi.as_view(),
        name="sample-order-report",
    ),
]
urlpatterns += [
    re_path(
        rf"^sample-orders/(?P<pk>[0-9]+)/{action}/?$",
        view.as_view(),
        name=f"sample-order-{action}",
    )
    for action, view in ACTIONS.items()
]

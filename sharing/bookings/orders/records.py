"""Completed sample-testing orders as rows of the national service record (服务记录).

service_records.py writes the file; this gives the orders to add (order_records) and each one's
values by header (order_record), with 服务方式 委托测试 and the number of samples as the
quantity. An order counts from its report (reported or closed), dated by the report.
"""

import datetime
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from portal.accounts.models import Organisation
from portal.privacy import mask_email, mask_phone
from sharing.bookings.models import OrderItem, SampleOrder

CHINA = ZoneInfo("Asia/Shanghai")
SERVICE_MODE = "委托测试"


def order_records(
    *,
    sees_all: bool,
    managed: frozenset[int],
    date_from: datetime.date,
    date_to: datetime.date,
    instrument_id: int | None = None,
) -> QuerySet[SampleOrder]:
    """Orders reported between the two dates (inclusive, Asia/Shanghai) on the instruments the
    reader may report on (the caller, service_records, has already checked who may)."""
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=CHINA)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=CHINA
    )
    qs = SampleOrder.objects.filter(
        status__in=SampleOrder.COMPLETED, reported_at__gte=start, reported_at__lt=end
    )
    if not sees_all:
        qs = qs.filter(instrument_id__in=managed)
    if instrument_id is not None:
        qs = qs.filter(instrument_id=instrument_id)
    return (
        qs.select_related("instrument__region", "customer", "organisation")
        .prefetch_related(
            "samples",
            Prefetch("items", queryset=OrderItem.objects.select_related("test_item")),
        )
        .order_by("reported_at", "pk")
    )


def _local(moment: datetime.datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _applicant(user) -> str:
    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last and not (first + last).isascii():
        return last + first
    return user.get_full_name() or user.username


def _client_type(order: SampleOrder) -> str:
    org = order.organisation
    if org is not None and org.pk == order.instrument.organisation_id:
        return "内部用户"
    if org is not None and org.kind == Organisation.Kind.FIRM:
        return "企业用户"
    return "外部用户"


def _off_site(order: SampleOrder) -> bool:
    org = order.organisation
    return org is not None and org.region_id != order.instrument.region_id


def order_record(order: SampleOrder, reveal: bool) -> dict[str, object]:
    """One order's values under the national layout's headers; ``reveal`` says whether the
    reader may see the customer's personal data."""
    user, instrument = order.customer, order.instrument
    place = " ".join(p for p in (instrument.region.name, instrument.address) if p)
    return {
        "所在单位仪器内部编码": instrument.internal_code,
        "仪器名称": instrument.name,
        "服务金额（元）": order.fee,
        "服务开始时间": _local(order.received_at or order.accepted_at),
        "服务结束时间": _local(order.reported_at),
        "服务内容": "、".join(line.test_item.name for line in order.items.all()),
        "服务方式": SERVICE_MODE,
        "服务量（机时）": sum(line.count for line in order.samples.all()),
        "课题名称": order.project_name,
        "经费来源": f"科技创新券抵扣 {order.voucher_part} 元" if order.voucher_part else "",
        "服务领域": ";".join(instrument.disciplines),
        "申请人": _applicant(user),
        "申请人电话": user.phone if reveal else mask_phone(user.phone),
        "申请人电子邮箱": user.email if reveal else mask_email(user.email),
        "申请人单位": order.organisation.name if order.organisation else "",
        "用户类型": _client_type(order),
        "是否异地使用": "是" if _off_site(order) else "否",
        "使用地点": place if _off_site(order) else "",
    }

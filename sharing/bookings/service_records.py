"""Service records (服务记录) in the national platform's layout, as CSV and XLSX.

One row per completed booking. The headers are the national layout's, in Chinese in every
language (a data format, like the national instrument record in sharing/catalogue/export.py);
the files are written by portal/spreadsheets.py, which guards every cell against formulas.

The service mode (服务方式: 自主上机, 委托测试, 合作研究, 其他) and the project (课题名称) are
the booking's own, as the applicant gave them when booking (a walk-up use at the instrument's
kiosk is 自主上机); both are written in the national format's Chinese words whatever the
reader's language. What the portal does not record is written as the national platform's
neutral value: the funding source names the innovation voucher when one paid part of the fee,
the field is the instrument's disciplines (GB/T 13745 codes).
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from portal import spreadsheets
from portal.accounts.models import Organisation, User
from portal.errors import Forbidden, RuleBroken
from portal.privacy import mask_email, mask_phone
from sharing.bookings import rules
from sharing.bookings.fees import hours_between, money
from sharing.bookings.models import Booking, VoucherEntry
from sharing.bookings.orders.records import order_record

CHINA = ZoneInfo("Asia/Shanghai")
# A request must end in reasonable time; narrow the dates or pick an instrument for more.
EXPORT_MAX_ROWS = 100_000
EXPORT_MAX_DAYS = 366 * 2
# The national format's words for Booking.ServiceMode, in Chinese in every language.
SERVICE_MODES = {
    Booking.ServiceMode.SELF_OPERATED: "自主上机",
    Booking.ServiceMode.COMMISSIONED: "委托测试",
    Booking.ServiceMode.COLLABORATIVE: "合作研究",
    Booking.ServiceMode.OTHER: "其他",
}


@dataclass(frozen=True)
class Viewer:
    """Who reads the export: everything for coordinators and administrators, the personal data
    of the applicants on their own instruments for managers, masked values otherwise."""

    sees_all: bool
    managed: frozenset[int]

    @classmethod
    def of(cls, user: User) -> "Viewer":
        sees_all = rules.sees_every_organisation(user=user)
        managed = (
            frozenset()
            if sees_all
            else frozenset(user.managed_instruments.values_list("pk", flat=True))
        )
        return cls(sees_all=sees_all, managed=managed)

    def reveals(self, booking: Booking) -> bool:
        return self.sees_all or booking.instrument_id in self.managed


def _local(moment: datetime.datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _start(b: Booking) -> datetime.datetime:
    return b.checked_in_at if b.checked_in_at and b.checked_out_at else b.start


def _end(b: Booking) -> datetime.datetime:
    return b.checked_out_at if b.checked_in_at and b.checked_out_at else b.end


def _amount(b: Booking):
    return b.charge if b.charge is not None else b.fee_estimate


def _funding(b: Booking) -> str:
    # Only a completed service redeems: the amount spent on its final charge.
    redeemed = [e for e in b.ledger_entries if e.kind == VoucherEntry.Kind.REDEMPTION]
    return "；".join(f"科技创新券 {e.voucher.code} 抵扣 {e.amount} 元" for e in redeemed)


def _applicant(b: Booking) -> str:
    user = b.requester
    first, last = user.first_name.strip(), user.last_name.strip()
    # Chinese names are written family name first, without a space: 李 + 明 → 李明.
    if first and last and not (first + last).isascii():
        return last + first
    return user.get_full_name() or user.username


def _client_type(b: Booking) -> str:
    org = b.requester.organisation
    if org is not None and org.pk == b.instrument.organisation_id:
        return "内部用户"
    if org is not None and org.kind == Organisation.Kind.FIRM:
        return "企业用户"
    return "外部用户"


def _off_site(b: Booking) -> bool:
    org = b.requester.organisation
    return org is not None and org.region_id != b.instrument.region_id


def _place(b: Booking) -> str:
    if not _off_site(b):
        return ""
    return " ".join(p for p in (b.instrument.region.name, b.instrument.address) if p)


Column = tuple[str, Callable[[Booking, bool], object]]

# The national service record, in the order of reference/instrument-fields.md's last paragraph.
# The bool says whether the reader may see the applicant's personal data.
COLUMNS: list[Column] = [
    ("所在单位仪器内部编码", lambda b, r: b.instrument.internal_code),
    ("仪器名称", lambda b, r: b.instrument.name),
    ("服务金额（元）", lambda b, r: _amount(b)),
    ("服务开始时间", lambda b, r: _local(_start(b))),
    ("服务结束时间", lambda b, r: _local(_end(b))),
    ("服务内容", lambda b, r: b.purpose),
    ("服务方式", lambda b, r: SERVICE_MODES.get(b.service_mode, "")),
    ("服务量（机时）", lambda b, r: money(hours_between(_start(b), _end(b)))),
    ("课题名称", lambda b, r: b.project_name),
    ("经费来源", lambda b, r: _funding(b)),
    ("服务领域", lambda b, r: ";".join(b.instrument.disciplines)),
    ("申请人", lambda b, r: _applicant(b)),
    ("申请人电话", lambda b, r: b.requester.phone if r else mask_phone(b.requester.phone)),
    ("申请人电子邮箱", lambda b, r: b.requester.email if r else mask_email(b.requester.email)),
    (
        "申请人单位",
        lambda b, r: b.requester.organisation.name if b.requester.organisation else "",
    ),
    ("用户类型", lambda b, r: _client_type(b)),
    ("是否异地使用", lambda b, r: "是" if _off_site(b) else "否"),
    ("使用地点", lambda b, r: _place(b)),
]
HEADERS = [header for header, _get in COLUMNS]


# --- Selector --------------------------------------------------------------------------------


def service_records(
    *,
    user: User,
    date_from: datetime.date,
    date_to: datetime.date,
    instrument_id: int | None = None,
) -> QuerySet[Booking]:
    """Completed bookings starting between the two dates (inclusive, Asia/Shanghai) on the
    instruments the user may report on: all for coordinators and administrators, their own
    for instrument managers. Others are refused."""
    if date_from > date_to:
        raise RuleBroken(_("起始日期不能晚于截止日期。"), rule="date_range_order")
    if (date_to - date_from).days > EXPORT_MAX_DAYS:
        raise RuleBroken(_("导出的日期范围不能超过两年。"), rule="date_range_too_long")
    viewer = Viewer.of(user)
    if not viewer.sees_all and not viewer.managed:
        raise Forbidden(_("只有仪器管理员、协调员和管理员可以导出服务记录。"))
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=CHINA)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=CHINA
    )
    qs = Booking.objects.filter(
        status=Booking.Status.COMPLETED,
        period__startswith__gte=start,
        period__startswith__lt=end,
    )
    if not viewer.sees_all:
        qs = qs.filter(instrument_id__in=viewer.managed)
    if instrument_id is not None:
        if not viewer.sees_all and instrument_id not in viewer.managed:
            raise Forbidden(_("您不是该仪器的管理员。"))
        qs = qs.filter(instrument_id=instrument_id)
    return (
        qs.select_related("instrument__region", "requester__organisation")
        .prefetch_related(
            Prefetch(
                "voucher_entries",
                queryset=VoucherEntry.objects.select_related("voucher"),
                to_attr="ledger_entries",
            )
        )
        .order_by("period__startswith", "pk")
    )


# --- Writers ---------------------------------------------------------------------------------


def _rows(bookings: Iterable[Booking], viewer: Viewer, orders: Iterable = ()) -> Iterator[list]:
    yield list(HEADERS)
    for booking in bookings:
        reveal = viewer.reveals(booking)
        yield [get(booking, reveal) for _header, get in COLUMNS]
    # Sample-testing orders (委托测试) after the bookings: sharing/bookings/orders/records.py.
    for order in orders:
        record = order_record(order, viewer.sees_all or order.instrument_id in viewer.managed)
        yield [record.get(header, "") for header in HEADERS]


def _batched(qs: QuerySet[Booking], limit: int) -> Iterator[Booking]:
    # iterator() with a chunk size keeps memory flat and still runs the prefetch per chunk.
    return qs[:limit].iterator(chunk_size=500) if isinstance(qs, QuerySet) else iter(qs)


def csv_chunks(
    bookings: Iterable[Booking], *, viewer: Viewer, limit: int = EXPORT_MAX_ROWS, orders=()
) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel in China opens it as UTF-8), in batches of rows."""
    return spreadsheets.csv_stream(
        _rows(_batched(bookings, limit), viewer, _batched(orders, limit))
    )


def xlsx_file(
    bookings: Iterable[Booking], *, viewer: Viewer, limit: int = EXPORT_MAX_ROWS, orders=()
):
    """A temporary file holding the workbook, written in openpyxl's write-only mode."""
    rows = _rows(_batched(bookings, limit), viewer, _batched(orders, limit))
    return spreadsheets.xlsx_file(rows, sheet="service_records")

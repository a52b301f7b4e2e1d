"""Instrument exports as CSV and XLSX, in the portal's layout or the national record's.

The national layout writes exactly the feed headers of the national single-instrument record,
in its order, so an export can be imported again. Contacts are masked for anonymous users.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal import spreadsheets
from sharing.catalogue.models import Instrument
from sharing.catalogue.selectors import contact_field

Column = tuple[str, Callable[[Instrument, bool], object]]


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value else ""


def _contact(name: str) -> Callable[[Instrument, bool], str]:
    return lambda i, mask: contact_field(i, name, masked=mask)


def _lon(i: Instrument, mask: bool):
    return round(Decimal(i.location.x), 6) if i.location else None


def _lat(i: Instrument, mask: bool):
    return round(Decimal(i.location.y), 6) if i.location else None


# The national record's headers, in the order of reference/instrument-fields.md. Not
# translated: they are a data format, the same in every language.
NATIONAL: list[Column] = [
    ("所在单位仪器内部编码", lambda i, m: i.internal_code),
    ("仪器名称", lambda i, m: i.name),
    ("英文名称", lambda i, m: i.name_en),
    ("设备分类编码", lambda i, m: i.category_code),
    ("仪器类别", lambda i, m: _label(Instrument.Purpose, i.purpose)),
    ("规格型号", lambda i, m: i.model),
    ("生产制造商", lambda i, m: i.manufacturer),
    ("产地国别", lambda i, m: i.country),
    ("原值（万元）", lambda i, m: i.original_value),
    ("启用日期", lambda i, m: i.in_service_date),
    ("主要技术指标", lambda i, m: i.specifications),
    ("主要功能", lambda i, m: i.functions),
    ("主要学科领域", lambda i, m: ";".join(i.disciplines)),
    ("服务内容", lambda i, m: i.services),
    ("参考收费标准", lambda i, m: i.fee_text),
    ("运行状态", lambda i, m: _label(Instrument.RunningStatus, i.running_status)),
    ("共享模式", lambda i, m: _label(Instrument.SharingMode, i.sharing_mode)),
    ("所属单位", lambda i, m: i.organisation.name),
    ("所属单位统一社会信用代码", lambda i, m: i.organisation.uscc or ""),
    ("所属平台", lambda i, m: i.platform.name if i.platform else ""),
    ("所在地区", lambda i, m: i.region.name),
    ("安放地址", lambda i, m: i.address),
    ("经度", _lon),
    ("纬度", _lat),
    ("联系人", _contact("contact_name")),
    ("联系电话", _contact("contact_phone")),
    ("电子邮箱", _contact("contact_email")),
    ("预约服务网址", lambda i, m: i.booking_url),
    ("年总运行机时", lambda i, m: i.annual_running_hours),
    ("年服务机时", lambda i, m: i.annual_service_hours),
]

# The portal's own layout: what a visitor compares, headers in the visitor's language.
PORTAL: list[Column] = [
    (_("编号"), lambda i, m: i.pk),
    (_("仪器名称"), lambda i, m: i.name),
    (_("英文名称"), lambda i, m: i.name_en),
    (_("设备分类编码"), lambda i, m: i.category_code),
    (_("仪器大类"), lambda i, m: i.category.name),
    (_("规格型号"), lambda i, m: i.model),
    (_("生产制造商"), lambda i, m: i.manufacturer),
    (_("产地国别"), lambda i, m: i.country),
    (_("原值（万元）"), lambda i, m: i.original_value),
    (_("启用日期"), lambda i, m: i.in_service_date),
    (_("运行状态"), lambda i, m: _label(Instrument.RunningStatus, i.running_status)),
    (_("共享模式"), lambda i, m: _label(Instrument.SharingMode, i.sharing_mode)),
    (_("所属单位"), lambda i, m: i.organisation.name),
    (_("所属平台"), lambda i, m: i.platform.name if i.platform else ""),
    (_("所在地区"), lambda i, m: i.region.name),
    (_("安放地址"), lambda i, m: i.address),
    (_("联系人"), _contact("contact_name")),
    (_("联系电话"), _contact("contact_phone")),
    (_("电子邮箱"), _contact("contact_email")),
    (_("预约服务网址"), lambda i, m: i.booking_url),
    (_("本单位费率（元/小时）"), lambda i, m: i.rate_internal),
    (_("同地区费率（元/小时）"), lambda i, m: i.rate_same_region),
    (_("跨地区费率（元/小时）"), lambda i, m: i.rate_other_region),
    (_("企业费率（元/小时）"), lambda i, m: i.rate_firm),
]

LAYOUTS = {"portal": PORTAL, "national": NATIONAL}


def _rows(
    instruments: Iterable[Instrument], columns: list[Column], *, mask: bool, national: bool
) -> Iterator[list]:
    yield [str(header) for header, _get in columns]
    # The national record's values (status, sharing mode, purpose) are Chinese in every
    # language, so a re-import reads them whatever language the export was made in.
    with translation.override("zh-hans") if national else nullcontext():
        for instrument in instruments:
            yield [get(instrument, mask) for _header, get in columns]


def csv_chunks(instruments: Iterable[Instrument], *, layout: str, mask: bool) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel in China opens it as UTF-8), one row at a time."""
    national = layout == "national"
    rows = _rows(instruments, LAYOUTS[layout], mask=mask, national=national)
    return spreadsheets.csv_stream(rows)


def xlsx_file(instruments: Iterable[Instrument], *, layout: str, mask: bool):
    """A temporary file holding the workbook, written in openpyxl's write-only mode."""
    national = layout == "national"
    rows = _rows(instruments, LAYOUTS[layout], mask=mask, national=national)
    return spreadsheets.xlsx_file(rows, sheet="instruments")

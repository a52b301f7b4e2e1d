"""Reading a catalogue feed: CSV (UTF-8 with or without BOM, or GB18030) or XLSX, streamed.

Rows come out as (row_number, {field: text}) where row_number is the spreadsheet's own row
number (the header is row 1), so a rejection points at the row a person sees in Excel.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# (field, Chinese header, English header): the national record's names, in its order.
COLUMNS = [
    ("internal_code", "所在单位仪器内部编码", "internal_code"),
    ("name", "仪器名称", "name"),
    ("name_en", "英文名称", "english_name"),
    ("category_code", "设备分类编码", "classification_code"),
    ("purpose", "仪器类别", "general_or_special_purpose"),
    ("model", "规格型号", "model"),
    ("manufacturer", "生产制造商", "manufacturer"),
    ("country", "产地国别", "country_of_manufacture"),
    ("original_value", "原值（万元）", "original_value"),
    ("in_service_date", "启用日期", "in_service_date"),
    ("specifications", "主要技术指标", "key_technical_specifications"),
    ("functions", "主要功能", "main_functions"),
    ("disciplines", "主要学科领域", "disciplines"),
    ("services", "服务内容", "services_offered"),
    ("fee_text", "参考收费标准", "reference_fees"),
    ("running_status", "运行状态", "running_status"),
    ("sharing_mode", "共享模式", "sharing_mode"),
    ("organisation", "所属单位", "owning_organisation"),
    ("organisation_uscc", "所属单位统一社会信用代码", "organisations_unified_social_credit_code"),
    ("platform", "所属平台", "platform"),
    ("region", "所在地区", "region"),
    ("address", "安放地址", "location"),
    ("lon", "经度", "longitude"),
    ("lat", "纬度", "latitude"),
    ("contact_name", "联系人", "contact_name"),
    ("contact_phone", "联系电话", "phone"),
    ("contact_email", "电子邮箱", "e_mail"),
    ("booking_url", "预约服务网址", "external_booking_address"),
    ("annual_running_hours", "年总运行机时", "annual_running_hours"),
    ("annual_service_hours", "年服务机时", "annual_service_hours"),
]
HEADER_OF = {field: zh for field, zh, _en in COLUMNS}
_ALIASES = {
    # Spreadsheets in the wild: half-width brackets, the English table's own wording.
    "原值(万元)": "original_value",
    "english_name": "name_en",
    "name_en": "name_en",
    "name_zh": "name",
    "classification": "category_code",
    "category_code": "category_code",
    "unified_social_credit_code": "organisation_uscc",
    "organisation": "organisation",
    "organization": "organisation",
    "address": "address",
    "lon": "lon",
    "lat": "lat",
    "email": "contact_email",
    "contact_email": "contact_email",
    "contact_phone": "contact_phone",
    "booking_url": "booking_url",
    "country": "country",
    "status": "running_status",
    "specifications": "specifications",
    "functions": "functions",
    "services": "services",
    "fees": "fee_text",
    "value": "original_value",
}
HEADER_MAP: dict[str, str] = {**_ALIASES}
for _field, _zh, _en in COLUMNS:
    HEADER_MAP[_zh] = _field
    HEADER_MAP[_en] = _field
    HEADER_MAP[_field] = _field

MAX_CELL = 5000  # longer cells are cut here; the field rules then reject them by length
MAX_COLUMNS = 200


class FeedError(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass
class Feed:
    fields: list[str | None]
    unknown_headers: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    bytes_total: int
    position: "callable"  # bytes (or rows, for XLSX: scaled to bytes) consumed so far


def _header_key(header: object) -> str:
    text = str(header or "").strip().lstrip("\ufeff")
    text = text.replace(" ", "").replace("\u3000", "")
    lowered = text.lower().replace(" ", "_").replace("-", "_").replace("/", "_")
    return HEADER_MAP.get(text) or HEADER_MAP.get(lowered) or ""


def map_headers(headers: list[object]) -> tuple[list[str | None], list[str]]:
    if len(headers) > MAX_COLUMNS:
        raise FeedError(f"表头有 {len(headers)} 列，超过上限 {MAX_COLUMNS}")
    fields: list[str | None] = []
    unknown = []
    seen = set()
    for header in headers:
        key = _header_key(header)
        if key and key in seen:
            raise FeedError(f"表头中“{header}”重复")
        if key:
            seen.add(key)
        elif str(header or "").strip():
            unknown.append(str(header).strip())
        fields.append(key or None)
    missing = [
        HEADER_OF[f]
        for f in ("internal_code", "name", "category_code", "organisation")
        if f not in seen
    ]
    if missing:
        raise FeedError("缺少必需的列：" + "、".join(missing))
    return fields, unknown


def sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(head) - 3:
            return "utf-8"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise FeedError("无法识别文件编码：请使用 UTF-8 或 GB18030") from None


class _CountingReader(io.RawIOBase):
    def __init__(self, raw):
        self.raw = raw
        self.count = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


_GUARDED = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def _unguard(text: str) -> str:
    """Our exports put ' before a cell that a spreadsheet would run as a formula; take it off."""
    return text[1:] if text[:1] == "'" and text.startswith(_GUARDED) else text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        # Excel dates arrive as datetime; the record wants the date alone.
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _unguard(str(value).strip()[:MAX_CELL])


def _rows(records: Iterator[list[object]], fields: list[str | None], *, text_only=False):
    width = len(fields)
    for number, record in records:
        if record is None:
            continue
        if text_only:
            values = [_unguard(v.strip()[:MAX_CELL]) for v in record[:width]]
        else:
            values = [_cell(v) for v in record[:width]]
        if not any(values):
            continue
        yield number, {f: v for f, v in zip(fields, values, strict=False) if f}


def open_csv(path: Path) -> Feed:
    raw = open(path, "rb")  # noqa: SIM115 (closed when the rows run out)
    encoding = sniff_encoding(raw.read(65536))
    raw.seek(0)
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=encoding, newline="")
    csv.field_size_limit(MAX_CELL * 4)
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raw.close()
        raise FeedError("文件是空的") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raw.close()
        raise FeedError(f"无法读取表头：{exc}") from None
    fields, unknown = map_headers(header)

    def records():
        try:
            for record in reader:
                yield reader.line_num, record
        except UnicodeDecodeError:
            raise FeedError(
                f"第 {reader.line_num + 1} 行附近编码错误（文件按 {encoding} 读取）"
            ) from None
        except csv.Error as exc:
            raise FeedError(f"第 {reader.line_num} 行 CSV 格式错误：{exc}") from None
        finally:
            raw.close()

    rows = _rows(records(), fields, text_only=True)
    return Feed(fields, unknown, rows, path.stat().st_size, lambda: counter.count)


# A zip bomb expands far beyond its file size; refuse before openpyxl inflates it.
MAX_XLSX_EXPANSION = 200
MAX_XLSX_UNCOMPRESSED = 2 * 1024**3


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FeedError("不是有效的 XLSX 文件") from None
    size = max(path.stat().st_size, 1)
    if total > MAX_XLSX_UNCOMPRESSED or total / size > MAX_XLSX_EXPANSION:
        raise FeedError("XLSX 文件解压后过大，拒绝读取")


def open_xlsx(path: Path) -> Feed:
    from openpyxl import load_workbook

    _check_zip(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FeedError(f"无法打开 XLSX 文件：{type(exc).__name__}") from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration:
        workbook.close()
        raise FeedError("工作表是空的") from None
    fields, unknown = map_headers(header)
    total_rows = max(sheet.max_row or 0, 1)
    size = path.stat().st_size
    state = {"row": 1}

    def records():
        try:
            for number, record in enumerate(rows, start=2):
                state["row"] = number
                yield number, list(record)
        finally:
            workbook.close()

    return Feed(
        fields,
        unknown,
        _rows(records(), fields),
        size,
        lambda: min(size, int(size * state["row"] / total_rows)),
    )


def open_feed(path: Path, filename: str | None = None) -> Feed:
    name = (filename or path.name).lower()
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if name.endswith(".xlsx") or magic == b"PK\x03\x04":
        return open_xlsx(path)
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return open_csv(path)
    raise FeedError("只支持 CSV 和 XLSX 文件")

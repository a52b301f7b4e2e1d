"""Reading a catalogue feed: CSV (UTF-8 with or without BOM, or GB18030) or XLSX, streamed.

Rows come out as (row_number, {field: text}) where row_number is the spreadsheet's own row
number (the header is row 1), so a rejection points at the row a person sees in Excel.
"""

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from portal.spreadsheets import unguard

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
# A CSV cell longer than this refuses the whole file: the csv module cannot resume after it.
MAX_CSV_FIELD = MAX_CELL * 4
# A CSV row whose cell count differs from the header's: clean_row() rejects it with this.
SHAPE = "_shape"


class FeedError(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass
class Feed:
    fields: list[str | None]
    unknown_headers: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    bytes_total: int
    position: "callable"  # bytes (or rows, for XLSX: scaled to bytes) consumed so far
    close: "callable" = lambda: None  # for a feed opened only to check it
    # A CSV the check found plain (no quote, so one line per row): its lines as bytes, to be
    # recognised without parsing them (see Lines).
    lines: "Lines | None" = None


@dataclass
class Lines:
    """A plain CSV read line by line: the header line, and per data line its row number (the
    same as the csv reader's) and bytes without the line break. ``rows`` parses one line as
    the feed's rows would have it (no row for a blank line). ``position`` as Feed's."""

    header: bytes
    encoding: str
    read: "callable"
    rows: "callable"
    position: "callable"


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


def _looks_like_gb_text(text: str) -> bool:
    """Real Chinese text is nearly all GB2312 level-1 characters (lead byte B0–D7); Big5 or
    Latin-1 bytes read as GB18030 decode without error but land mostly elsewhere."""
    letters = [c for c in text if not c.isascii() and unicodedata.category(c) == "Lo"]
    common = 0
    for char in letters:
        try:
            encoded = char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 0xB0 <= encoded[0] <= 0xD7
    if len(letters) < 4:
        # Too few for a share; Latin-1 accents before ASCII letters never land in GB2312.
        return common > 0 or not letters
    return common / len(letters) >= 0.7


def sniff_encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FeedError("文件是 UTF-16 编码：请另存为 UTF-8 或 GB18030 的 CSV")
    if b"\x00" in head:
        # UTF-16 without a BOM, or not text at all; PostgreSQL cannot store NUL either.
        raise FeedError("文件含有 NUL 字节（二进制文件或 UTF-16 编码）：请另存为 UTF-8 的 CSV")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # Incremental decoders: a multi-byte character cut at the end of the sample is no error.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
    except UnicodeDecodeError:
        raise FeedError("无法识别文件编码：请使用 UTF-8 或 GB18030") from None
    if not _looks_like_gb_text(text):
        raise FeedError(
            "文件编码不像 GB18030 中文（可能是 Big5 或 Latin-1）：请另存为 UTF-8 再上传"
        )
    return "gb18030"


def _csv_reader(text):
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the file.
    return csv.reader(text, strict=True)


def _csv_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return f"有单元格超过 {MAX_CSV_FIELD} 个字符"
    if "unexpected end of data" in message:
        return "引号没有闭合（文件在引号内结束）"
    if "expected after" in message:
        return "引号使用不当：引号结束后应紧跟逗号或换行"
    return f"CSV 格式错误（{message}）"


def _scan_nul(raw, limit: int | None) -> None:
    # Neither UTF-8 nor GB18030 has a 0x00 byte inside another character: bytes will do.
    lines = 1
    while (limit is None or raw.tell() < limit) and (chunk := raw.read(1 << 20)):
        at = chunk.find(b"\x00")
        if at >= 0:
            line = lines + chunk.count(b"\n", 0, at)
            raise FeedError(f"第 {line} 行含有 NUL 字节：请另存为 UTF-8 的 CSV")
        lines += chunk.count(b"\n")


def _cannot_break_csv(raw, encoding: str) -> bool:
    """Whether the bytes alone show that the csv module will read the whole file without an
    error: it decodes, has no quote (so no quoting error), no line longer than a cell may be
    and no carriage return without its line feed. Feeds are mostly like that, and this is a
    quarter of a csv pass; a file that might fail is read the csv way, which says where."""
    decoder = codecs.getincrementaldecoder(encoding)()
    tail = b""
    try:
        while chunk := raw.read(1 << 20):
            if b'"' in chunk:
                return False
            decoder.decode(chunk)
            text = tail + chunk
            cut = text.rfind(b"\n") + 1
            whole, tail = text[:cut], text[cut:]
            if len(tail) > MAX_CSV_FIELD or (
                b"\r" in whole and whole.count(b"\r") != whole.count(b"\r\n")
            ):
                return False
            if max(map(len, whole.split(b"\n"))) > MAX_CSV_FIELD:  # bytes: at least the characters
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return b"\r" not in tail


def _scan_csv(raw, encoding: str, limit: int | None = None) -> bool:
    """Read the whole file (or its first ``limit`` bytes) once, keeping nothing: an encoding
    error, a NUL byte or a broken quote refuses the file before a single row is written.
    Returns whether the file is plain (_cannot_break_csv: one line per row)."""
    _scan_nul(raw, limit)
    raw.seek(0)
    csv.field_size_limit(MAX_CSV_FIELD)
    if limit is None and _cannot_break_csv(raw, encoding):
        return True
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    reader = _csv_reader(text)
    try:
        for number, _record in enumerate(reader):
            if limit is not None and number % 1000 == 0 and raw.tell() > limit:
                break
    except UnicodeDecodeError:
        raise FeedError(
            f"第 {reader.line_num + 1} 行附近编码错误（文件按 {encoding} 读取）"
        ) from None
    except csv.Error as exc:
        raise FeedError(f"第 {reader.line_num} 行：{_csv_problem(exc)}") from None
    finally:
        text.detach()
    return False


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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        # Excel dates arrive as datetime; the record wants the date alone.
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unguard(str(value).strip()[:MAX_CELL])


def _rows(records: Iterator[list[object]], fields: list[str | None], *, text_only=False):
    width = len(fields)
    every_field_known = all(fields)
    for number, record in records:
        if record is None:
            continue
        if text_only:
            # Per row rather than per cell where it can (a million rows are 30 million cells):
            # cut and unguard only the rows that have a long cell or a cell opening with '.
            values = list(map(str.strip, record[:width] if len(record) > width else record))
            joined = "\x00".join(values)
            if (
                (len(joined) > MAX_CELL and max(map(len, values)) > MAX_CELL)
                or joined[:1] == "'"
                or "\x00'" in joined
            ):
                values = [unguard(v[:MAX_CELL]) for v in values]
        else:
            values = [_cell(v) for v in record[:width]]
        if not any(values):
            continue
        if every_field_known:
            row = dict(zip(fields, values, strict=False))
        else:
            row = {f: v for f, v in zip(fields, values, strict=False) if f}
        # A CSV row with cells missing or extra is shifted data (a stray comma or line break):
        # storing it would put values under the wrong headers.
        if (
            text_only
            and len(record) != width
            and (len(record) < width or any(v.strip() for v in record[width:]))
        ):
            row[SHAPE] = f"{len(record)}/{width}"
        yield number, row


def open_csv(path: Path, scan_limit: int | None = None) -> Feed:
    raw = open(path, "rb")  # noqa: SIM115 (closed when the rows run out)
    try:
        encoding = sniff_encoding(raw.read(65536))
        raw.seek(0)
        plain = _scan_csv(raw, encoding, scan_limit)
    except BaseException:
        raw.close()
        raise
    raw.seek(0)
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=encoding, newline="")
    reader = _csv_reader(text)
    try:
        header = next(reader)
        fields, unknown = map_headers(header)
    except StopIteration:
        raw.close()
        raise FeedError("文件是空的") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raw.close()
        raise FeedError(f"无法读取表头：{exc}") from None
    except FeedError:
        raw.close()
        raise

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
    lines = _plain_lines(path, encoding, fields) if plain else None
    return Feed(fields, unknown, rows, path.stat().st_size, lambda: counter.count, raw.close, lines)


def _plain_lines(path: Path, encoding: str, fields: list[str | None]) -> Lines:
    # A BOM only opens the file: inside it, utf-8-sig would drop one the csv reader keeps.
    line_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    with open(path, "rb") as handle:
        header = handle.readline().rstrip(b"\r\n")
    consumed = [0]

    def read():
        with open(path, "rb") as handle:
            consumed[0] = len(handle.readline())
            for number, line in enumerate(handle, start=2):
                consumed[0] += len(line)
                # The check let no lone carriage return through: a line ends \n or \r\n.
                yield number, line.rstrip(b"\r\n")

    def rows(number: int, line: bytes) -> list[tuple[int, dict[str, str]]]:
        record = next(_csv_reader([line.decode(line_encoding)]), [])
        return list(_rows([(number, record)], fields, text_only=True))

    return Lines(header, line_encoding, read, rows, lambda: consumed[0])


# A zip bomb expands far beyond its file size; refuse before openpyxl inflates it.
MAX_XLSX_EXPANSION = 200
MAX_XLSX_UNCOMPRESSED = 2 * 1024**3


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise FeedError("不是有效的 XLSX 文件（不是 ZIP 压缩包或已损坏）") from None
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
    if not workbook.worksheets:
        workbook.close()
        raise FeedError("XLSX 文件里没有工作表")
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = list(next(rows))
    except StopIteration:
        workbook.close()
        raise FeedError("工作表是空的") from None
    except Exception as exc:
        workbook.close()
        raise FeedError(f"无法读取 XLSX 表头：{type(exc).__name__}") from None
    try:
        fields, unknown = map_headers(header)
    except FeedError:
        workbook.close()
        raise
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
        workbook.close,
    )


def open_feed(path: Path, filename: str | None = None, *, scan_limit: int | None = None) -> Feed:
    """The feed's header read and the whole file checked (a CSV read through once, up to
    ``scan_limit`` bytes when given); its rows are read as they are iterated."""
    name = (filename or path.name).lower()
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if name.endswith(".xlsx") or magic == b"PK\x03\x04":
        return open_xlsx(path)
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return open_csv(path, scan_limit)
    raise FeedError("只支持 CSV 和 XLSX 文件")

"""The national record's rules, applied to one feed row (see shared/reference/instrument-fields.md).

clean_row() returns the row's values ready to store, or the reasons it is rejected; a rejected
row is never stored in part.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from portal.accounts import uscc as uscc_rules
from portal.text import HIDDEN_CHARACTERS
from sharing.catalogue.feed_import.read import HEADER_OF, SHAPE

RUNNING_STATUS = {
    "正常": "normal",
    "待机": "standby",
    "远程服务中": "remote",
    "偶有故障": "occasional_fault",
    "故障频繁": "frequent_fault",
    "待修": "awaiting_repair",
    "待报废": "awaiting_disposal",
}
SHARING_MODE = {"内部共享": "internal", "外部共享": "external", "不共享": "none"}
PURPOSE = {"通用": "general", "专用": "special"}
# GB/T 2659 codes for the countries instrument makers come from, by their Chinese names.
COUNTRIES = {
    "中国": "CN",
    "美国": "US",
    "德国": "DE",
    "日本": "JP",
    "英国": "GB",
    "法国": "FR",
    "瑞士": "CH",
    "荷兰": "NL",
    "意大利": "IT",
    "韩国": "KR",
    "瑞典": "SE",
    "奥地利": "AT",
    "加拿大": "CA",
    "澳大利亚": "AU",
    "捷克": "CZ",
    "丹麦": "DK",
    "芬兰": "FI",
    "比利时": "BE",
    "以色列": "IL",
    "俄罗斯": "RU",
    "新加坡": "SG",
    "挪威": "NO",
    "西班牙": "ES",
    "爱尔兰": "IE",
    "印度": "IN",
    "波兰": "PL",
    "匈牙利": "HU",
    "新西兰": "NZ",
}
ALPHA2 = set(COUNTRIES.values()) | {
    "AE",
    "AR",
    "BR",
    "CL",
    "GR",
    "HK",
    "ID",
    "LU",
    "MO",
    "MX",
    "MY",
    "PT",
    "SA",
    "SI",
    "SK",
    "TH",
    "TR",
    "TW",
    "UA",
    "VN",
    "ZA",
    "LT",
    "LV",
    "EE",
    "RO",
    "BG",
    "HR",
    "IS",
    "PH",
}
LIMITS = {
    "internal_code": 64,
    "name": 200,
    "name_en": 200,
    "model": 100,
    "manufacturer": 100,
    "specifications": 500,
    "functions": 300,
    "services": 200,
    "fee_text": 500,
    "organisation": 200,
    "platform": 200,
    "address": 300,
    "contact_name": 64,
    "contact_phone": 64,
    "contact_email": 254,
    "booking_url": 500,
}
_LIMITED = list(LIMITS)
# China's bounding box: a point outside it is a swapped or mistyped coordinate.
LON_RANGE = (73.0, 135.5)
LAT_RANGE = (3.0, 54.0)
HOURS_IN_YEAR = Decimal(8784)

_CODE = re.compile(r"^[0-9]{6}$")
_DISCIPLINE = re.compile(r"^[0-9]{3}(?:\.?[0-9]{2}){0,2}$")
_email = EmailValidator()
_url = URLValidator(schemes=["http", "https"])


@lru_cache(maxsize=65_536)
def _email_ok(email: str) -> bool:
    # Contacts repeat across an organisation's instruments: validate each address once.
    try:
        _email(email)
        return True
    except ValidationError:
        return False


@lru_cache(maxsize=4096)
def _uscc_ok(code: str) -> bool:
    # A feed names a few hundred organisations on a million rows: check each code once.
    return uscc_rules.is_valid(code)


def _iso_date(text: str) -> date | None:
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass
class Context:
    regions: dict[str, int]  # 绵阳, 北碚, adcodes, codes → region id
    classes: dict[str, str]  # "01" → 分析仪器
    today: date


@dataclass
class Clean:
    values: dict
    organisation: str
    organisation_uscc: str
    platform: str
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def _half_width(text: str) -> str:
    # Most cells are plain ASCII; NFKC (full-width digits, ideographic spaces) only when not.
    return text.strip() if text.isascii() else unicodedata.normalize("NFKC", text).strip()


def _decimal(text: str) -> Decimal:
    return Decimal(_half_width(text).replace(",", "").replace("，", ""))


def clean_row(raw: dict[str, str], ctx: Context) -> Clean:
    errors: list[tuple[str, str, str]] = []

    def reject(field_name: str, reason: str, value: str = "") -> None:
        errors.append((HEADER_OF.get(field_name, field_name), reason, value[:200]))

    get = raw.get
    values: dict = {}
    if SHAPE in raw:
        cells, width = raw[SHAPE].split("/")
        reject("", f"本行有 {cells} 个单元格，表头有 {width} 列（多余的逗号或换行？）")
    texts = [get(name, "") or "" for name in _LIMITED]
    # One search over the row's cells (a line break, which the pattern never matches, between
    # them) rather than one per cell; a cell at a time only in the rare row that has one.
    suspect = HIDDEN_CHARACTERS.search("\n".join(texts)) is not None
    for (name, limit), text in zip(LIMITS.items(), texts, strict=True):
        if len(text) > limit:
            reject(name, f"超过 {limit} 个字符（{len(text)}）", text[:50])
        # Bidirectional overrides too: never part of an instrument's record, a way to disguise it.
        hidden = suspect and HIDDEN_CHARACTERS.search(text)
        if hidden:
            reject(
                name,
                f"含有不可见的控制字符 U+{ord(hidden.group()):04X}（如双向文本控制符），请删除",
                text[:50],
            )
        values[name] = text

    for required in ("internal_code", "name", "organisation"):
        if not values[required]:
            reject(required, "必填")

    code = _half_width(get("category_code", "") or "")
    if not code:
        reject("category_code", "必填")
    elif not _CODE.match(code):
        reject("category_code", "应为 6 位数字", code)
    elif code[:2] not in ctx.classes:
        reject("category_code", f"大类 {code[:2]} 不在分类表中", code)
    values["category_code"] = code
    values["category_id"] = code[:2]

    purpose = get("purpose", "") or ""
    values["purpose"] = PURPOSE.get(purpose, "")
    if purpose and purpose not in PURPOSE:
        reject("purpose", "应为 通用 或 专用", purpose)

    country = _half_width(get("country", "") or "")
    if country:
        alpha2 = COUNTRIES.get(country) or country.upper()
        if alpha2 not in ALPHA2:
            reject("country", "不是 GB/T 2659 国家代码或中文国名", country)
        values["country"] = alpha2
    else:
        values["country"] = ""

    values["original_value"] = None
    value = get("original_value", "") or ""
    if value:
        try:
            amount = _decimal(value)
            if not amount.is_finite():
                raise InvalidOperation
            if amount < 0:
                reject("original_value", "不能为负数", value)
            elif amount >= Decimal("1e10"):
                reject("original_value", "数值过大", value)
            else:
                values["original_value"] = amount.quantize(Decimal("0.01"))
        except InvalidOperation:
            reject("original_value", "不是数字", value)

    values["in_service_date"] = None
    when = _half_width(get("in_service_date", "") or "")
    if when:
        parsed = _iso_date(when)
        for fmt in () if parsed else ("%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
            try:
                parsed = datetime.strptime(when, fmt).date()
                break
            except ValueError:
                continue
        if parsed is None:
            reject("in_service_date", "日期应为 YYYY-MM-DD", when)
        elif parsed > ctx.today:
            reject("in_service_date", "启用日期不能晚于今天", when)
        elif parsed.year < 1900:
            reject("in_service_date", "日期早于 1900 年", when)
        else:
            values["in_service_date"] = parsed

    disciplines = [
        _half_width(d) for d in re.split(r"[;；,，、\s]+", get("disciplines", "") or "") if d
    ]
    if len(disciplines) > 4:
        reject("disciplines", "最多 4 个学科代码", get("disciplines", ""))
    bad = [d for d in disciplines if not _DISCIPLINE.match(d)]
    if bad:
        reject("disciplines", "不是 GB/T 13745 学科代码", "；".join(bad))
    values["disciplines"] = [d.replace(".", "") for d in disciplines[:4]]

    status = get("running_status", "") or ""
    values["running_status"] = RUNNING_STATUS.get(status, "normal")
    if status and status not in RUNNING_STATUS:
        reject("running_status", "未知运行状态", status)

    mode = get("sharing_mode", "") or ""
    values["sharing_mode"] = SHARING_MODE.get(mode, "external")
    if mode and mode not in SHARING_MODE:
        reject("sharing_mode", "未知共享模式", mode)

    region = _half_width(get("region", "") or "")
    values["region_id"] = ctx.regions.get(region) or ctx.regions.get(region.lower())
    if not region:
        reject("region", "必填")
    elif values["region_id"] is None:
        reject("region", "未知地区（绵阳 / 北碚 或 510700 / 500109）", region)

    org_code = uscc_rules.normalise(get("organisation_uscc", "") or "")
    if org_code and not _uscc_ok(org_code):
        reject("organisation_uscc", "统一社会信用代码格式或校验位错误", org_code)

    lon_text, lat_text = (_half_width(get("lon", "") or ""), _half_width(get("lat", "") or ""))
    values["lon"] = values["lat"] = None
    if lon_text or lat_text:
        try:
            lon, lat = float(lon_text), float(lat_text)
            if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
                reject(
                    "lon", "坐标不在中国境内（经度 73–135.5，纬度 3–54）", f"{lon_text},{lat_text}"
                )
            else:
                values["lon"], values["lat"] = lon, lat
        except ValueError:
            reject("lon", "经纬度应同时填写且为十进制度数", f"{lon_text},{lat_text}")

    email = values["contact_email"]
    if email and not _email_ok(email):
        reject("contact_email", "电子邮箱格式错误", email)
    # An anonymous export masks contacts (张**, 023-****1234); importing one back must not
    # overwrite the real contacts with the masks.
    for name in ("contact_name", "contact_phone", "contact_email"):
        if "**" in (values.get(name) or ""):
            reject(name, "联系方式是打码后的值（含 **），请使用完整数据", values[name])
    url = values["booking_url"]
    if url:
        try:
            _url(url)
        except Exception:
            reject("booking_url", "网址应以 http:// 或 https:// 开头", url)

    for hours in ("annual_running_hours", "annual_service_hours"):
        text = get(hours, "") or ""
        values[hours] = None
        if text:
            try:
                amount = _decimal(text)
                if not amount.is_finite() or not (0 <= amount <= HOURS_IN_YEAR):
                    reject(hours, "应在 0 到 8784 小时之间", text)
                else:
                    values[hours] = amount.quantize(Decimal("0.1"))
            except InvalidOperation:
                reject(hours, "不是数字", text)

    return Clean(
        values=values,
        organisation=values.pop("organisation"),
        organisation_uscc=org_code,
        platform=values.pop("platform"),
        errors=errors,
    )

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from openpyxl import load_workbook

from portal.spreadsheets import spreadsheet_safe
from sharing.catalogue.export import NATIONAL
from tests.factories import InstrumentFactory, OrganisationFactory, PlatformFactory

CSV = "/api/instruments/export.csv"
XLSX = "/api/instruments/export.xlsx"

# The national record's headers, in the order of reference/instrument-fields.md.
NATIONAL_HEADERS = [
    "所在单位仪器内部编码",
    "仪器名称",
    "英文名称",
    "设备分类编码",
    "仪器类别",
    "规格型号",
    "生产制造商",
    "产地国别",
    "原值（万元）",
    "启用日期",
    "主要技术指标",
    "主要功能",
    "主要学科领域",
    "服务内容",
    "参考收费标准",
    "运行状态",
    "共享模式",
    "所属单位",
    "所属单位统一社会信用代码",
    "所属平台",
    "所在地区",
    "安放地址",
    "经度",
    "纬度",
    "联系人",
    "联系电话",
    "电子邮箱",
    "预约服务网址",
    "年总运行机时",
    "年服务机时",
]


# --- Formula injection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+86 23 6825", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("x")'],
)
def test_text_a_spreadsheet_would_evaluate_gets_a_leading_quote(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["场发射扫描电子显微镜", "SU8020", "", "a=b", "1-2", None, 3, 2.5]
)
def test_other_values_pass_unchanged(value):
    assert spreadsheet_safe(value) == value


def test_numbers_stay_numbers_even_when_negative():
    assert spreadsheet_safe(Decimal("-1.5")) == Decimal("-1.5")


# --- The files -----------------------------------------------------------------------------


@pytest.fixture
def instrument(db):
    return InstrumentFactory(
        organisation=OrganisationFactory(name="西南大学"),
        internal_code="SWU-2019-0001",
        name="场发射扫描电子显微镜",
        name_en="Field emission scanning electron microscope",
        model="SU8020",
        manufacturer="日立高新技术公司",
        country="JP",
        original_value=Decimal("386.50"),
        in_service_date=timezone.localdate().replace(year=2019, month=6, day=18),
        specifications='=HYPERLINK("http://evil")',
        functions="材料表面形貌观察与微区成分分析",
        disciplines=["430", "140"],
        purpose="general",
        platform=PlatformFactory(name="四川军民融合大型科学仪器共享平台重庆中心"),
        address="重庆市北碚区天生路2号 材料楼101",
        location=Point(106.4135, 29.8148, srid=4326),
        contact_name="张老师",
        contact_phone="023-68251234",
        contact_email="sem@example.edu.cn",
        rate_other_region=Decimal(500),
    )


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200, response.content
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    # Reading drops empty trailing cells; pad to the header's width.
    return [row + [None] * (len(rows[0]) - len(row)) for row in rows]


def test_national_layout_writes_the_feed_headers_in_order(instrument, api):
    assert [header for header, _get in NATIONAL] == NATIONAL_HEADERS
    rows = _csv(api.get(CSV, {"layout": "national"}))
    assert rows[0] == NATIONAL_HEADERS
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["所在单位仪器内部编码"] == "SWU-2019-0001"
    assert record["仪器类别"] == "通用"
    assert record["运行状态"] == "正常"
    assert record["共享模式"] == "外部共享"
    assert record["所在地区"] == "北碚"
    assert record["主要学科领域"] == "430;140"
    assert record["启用日期"] == "2019-06-18"
    assert record["原值（万元）"] == "386.50"
    assert (record["经度"], record["纬度"]) == ("106.413500", "29.814800")


def test_national_headers_are_the_ones_the_feed_importer_reads():
    from sharing.catalogue.feed_import.read import COLUMNS

    assert [zh for _field, zh, _en in COLUMNS] == NATIONAL_HEADERS


def test_national_values_stay_chinese_in_english(instrument, api):
    rows = _csv(api.get(CSV, {"layout": "national"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert rows[0] == NATIONAL_HEADERS
    assert "正常" in rows[1]


def test_csv_export_is_named_by_date_and_streams(instrument, api):
    response = api.get(CSV)
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert f'filename="instruments-{today}.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) == 2
    assert "场发射扫描电子显微镜" in rows[1]


def test_xlsx_export_opens_with_the_same_rows(instrument, api):
    response = api.get(XLSX, {"layout": "national"})
    today = timezone.localdate().isoformat()
    assert f"instruments-{today}.xlsx" in response["Content-Disposition"]
    rows = _xlsx(response)
    assert list(rows[0]) == NATIONAL_HEADERS
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["仪器名称"] == "场发射扫描电子显微镜"
    assert record["原值（万元）"] == pytest.approx(386.5)


@pytest.mark.parametrize("url", [CSV, XLSX])
def test_exports_neutralise_formulas(instrument, api, url):
    rows = _csv(api.get(url)) if url == CSV else _xlsx(api.get(url, {"layout": "national"}))
    cells = [cell for row in rows for cell in row if isinstance(cell, str)]
    assert '\'=HYPERLINK("http://evil")' in cells or url == CSV
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


@pytest.mark.parametrize("url", [CSV, XLSX])
def test_exports_mask_contacts_for_anonymous_users(instrument, api, url):
    rows = _csv(api.get(url)) if url == CSV else _xlsx(api.get(url))
    cells = {cell for row in rows for cell in row}
    assert "023-****1234" in cells
    assert "s**@example.edu.cn" in cells
    assert "张**" in cells and "张老师" not in cells
    assert "023-68251234" not in cells
    assert "sem@example.edu.cn" not in cells


@pytest.mark.parametrize("url", [CSV, XLSX])
def test_exports_show_contacts_to_signed_in_users(instrument, api, member, url):
    api.force_authenticate(member)
    rows = _csv(api.get(url)) if url == CSV else _xlsx(api.get(url))
    cells = {cell for row in rows for cell in row}
    assert "023-68251234" in cells
    assert "sem@example.edu.cn" in cells


def test_exports_take_the_search_filters(instrument, api):
    InstrumentFactory(name="数字示波器", category_code="040101", model="MSO64")
    rows = _csv(api.get(CSV, {"category": "04"}))
    assert len(rows) == 2
    assert "数字示波器" in rows[1]
    rows = _csv(api.get(CSV, {"q": "电镜"}))
    assert [row[1] for row in rows[1:]] == ["场发射扫描电子显微镜"]


@pytest.mark.parametrize("url", [CSV, XLSX])
def test_a_bad_export_filter_is_a_400_in_json(db, api, url):
    for params in ({"layout": "excel"}, {"category": "x"}, {"max_rate": "-1"}):
        response = api.get(url, params, HTTP_ACCEPT="text/csv")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "invalid"


def test_control_characters_do_not_break_the_workbook(db, api):
    InstrumentFactory(functions="分析\x07测试")
    rows = _xlsx(api.get(XLSX))
    assert len(rows) == 2


def test_an_anonymous_export_imported_back_leaves_the_real_contacts(instrument, api, tmp_path):
    from sharing.catalogue.feed_import.store import InstrumentImport
    from sharing.catalogue.models import Instrument

    feed = tmp_path / "masked.csv"
    feed.write_bytes(b"".join(api.get(CSV, {"layout": "national"}).streaming_content))
    counts = InstrumentImport(path=feed, pipeline=False).run()
    assert (counts.rejected, counts.updated) == (1, 0)
    instrument = Instrument.objects.get(pk=instrument.pk)
    assert (instrument.contact_name, instrument.contact_phone) == ("张老师", "023-68251234")

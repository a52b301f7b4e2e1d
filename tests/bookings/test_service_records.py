"""Service records in the national layout: headers, content, masking, formula guard, access."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from portal.accounts.models import Role
from portal.errors import Forbidden, RuleBroken
from sharing.bookings.models import Booking
from sharing.bookings.service_records import HEADERS, Viewer, csv_chunks, service_records
from sharing.bookings.vouchers.ledger import voucher_redeem, voucher_reserve
from sharing.bookings.vouchers.services import voucher_issue
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal
CSV = "/api/service-records/export.csv"
XLSX = "/api/service-records/export.xlsx"
HIDDEN_FORMULA = '\x01=HYPERLINK("http://evil","x")'

# The national service record: instrument, amount, start and end, content, service mode,
# quantity, project, funding source, field, applicant with phone, e-mail and organisation,
# client type, whether used off-site and where.
NATIONAL_HEADERS = [
    "所在单位仪器内部编码",
    "仪器名称",
    "服务金额（元）",
    "服务开始时间",
    "服务结束时间",
    "服务内容",
    "服务方式",
    "服务量（机时）",
    "课题名称",
    "经费来源",
    "服务领域",
    "申请人",
    "申请人电话",
    "申请人电子邮箱",
    "申请人单位",
    "用户类型",
    "是否异地使用",
    "使用地点",
]


def at(day: str, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CHINA)


def book(instrument, requester, start, hours, *, status="completed", purpose="SEM 形貌观察", **kw):
    end = start + datetime.timedelta(hours=hours)
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(start, end),
        blocked=(start, end),
        status=status,
        purpose=purpose,
        rate_category="other_region",
        hourly_rate=D("150.00"),
        fee_estimate=D("150.00") * hours,
        **kw,
    )
    booking.refresh_from_db()
    return booking


@pytest.fixture
def records(db):
    owner = OrganisationFactory(name="西南大学", region=beibei())
    sem = InstrumentFactory(
        organisation=owner,
        internal_code="SWU-SEM-01",
        name="场发射扫描电子显微镜",
        disciplines=["1502510", "4301520"],
        address="天生路2号",
    )
    xrd = InstrumentFactory(organisation=owner, internal_code="SWU-XRD-01", name="X射线衍射仪")
    visitor_org = OrganisationFactory(name="绵阳某研究所", region=mianyang())
    visitor = UserFactory(
        organisation=visitor_org,
        first_name="明",
        last_name="李",
        phone="0816-2481234",
        email="liming@example.org.cn",
    )
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER], organisation=owner)
    sem.managers.add(manager)

    voucher = voucher_issue(
        issuing_region=mianyang(),
        organisation=visitor_org,
        amount=D("1000.00"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
        accepted_in=[mianyang(), beibei()],
        code="510700-2026-TEST",
    )
    used = book(
        sem,
        visitor,
        at("2026-03-02", 9),
        2,
        status="approved",
        checked_in_at=at("2026-03-02", 9, 10),
        checked_out_at=at("2026-03-02", 11, 40),
        charge=D("375.00"),
    )
    voucher_reserve(voucher=voucher, booking=used, by=visitor)
    Booking.objects.filter(pk=used.pk).update(status="completed")
    voucher_redeem(booking=used)  # as the check-out does
    book(sem, visitor, at("2026-03-03", 9), 1, purpose='=HYPERLINK("http://x")')
    book(xrd, visitor, at("2026-03-04", 9), 1)
    # Outside the export: cancelled, and the day after the range.
    book(sem, visitor, at("2026-03-05", 9), 1, status="cancelled")
    book(sem, visitor, at("2026-04-01", 0, 30), 1)
    return {"sem": sem, "xrd": xrd, "manager": manager, "visitor": visitor}


def read_csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_headers_are_the_national_service_record(records):
    assert HEADERS == NATIONAL_HEADERS


def test_coordinators_export_every_completed_booking_in_the_range(records, api):
    api.force_authenticate(UserFactory(roles=[Role.COORDINATOR]))
    response = api.get(CSV, {"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0] == NATIONAL_HEADERS
    assert [r[0] for r in rows[1:]] == ["SWU-SEM-01", "SWU-SEM-01", "SWU-XRD-01"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first == {
        "所在单位仪器内部编码": "SWU-SEM-01",
        "仪器名称": "场发射扫描电子显微镜",
        "服务金额（元）": "375.00",
        "服务开始时间": "2026-03-02 09:10",
        "服务结束时间": "2026-03-02 11:40",
        "服务内容": "SEM 形貌观察",
        "服务方式": "自主上机",
        "服务量（机时）": "2.50",
        "课题名称": "",
        "经费来源": "科技创新券 510700-2026-TEST 抵扣 150.00 元",
        "服务领域": "1502510;4301520",
        "申请人": "李明",
        "申请人电话": "0816-2481234",
        "申请人电子邮箱": "liming@example.org.cn",
        "申请人单位": "绵阳某研究所",
        "用户类型": "外部用户",
        "是否异地使用": "是",
        "使用地点": "北碚 天生路2号",
    }
    second = dict(zip(rows[0], rows[2], strict=True))
    # No check-in recorded: the booked time; no charge yet: the estimate.
    assert (second["服务开始时间"], second["服务量（机时）"], second["服务金额（元）"]) == (
        "2026-03-03 09:00",
        "1.00",
        "150.00",
    )


def test_text_a_spreadsheet_would_evaluate_is_quoted(records, api):
    api.force_authenticate(UserFactory(roles=[Role.ADMINISTRATOR]))
    rows = read_csv(api.get(CSV, {"from": "2026-03-03", "to": "2026-03-03"}))
    assert rows[1][NATIONAL_HEADERS.index("服务内容")] == '\'=HYPERLINK("http://x")'


def test_a_manager_exports_the_records_of_their_own_instruments_in_full(records, api):
    api.force_authenticate(records["manager"])
    rows = read_csv(api.get(CSV, {"from": "2026-03-01", "to": "2026-03-31"}))
    assert {r[0] for r in rows[1:]} == {"SWU-SEM-01"}
    assert rows[1][NATIONAL_HEADERS.index("申请人电话")] == "0816-2481234"
    forbidden = api.get(
        CSV, {"from": "2026-03-01", "to": "2026-03-31", "instrument": records["xrd"].pk}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden"


def test_personal_data_is_masked_for_a_reader_who_does_not_manage_the_instrument(records):
    manager = records["manager"]
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    bookings = service_records(
        user=coordinator, date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 31)
    )
    # The manager of the SEM reads the whole range: the XRD row's applicant is masked for them.
    text = b"".join(csv_chunks(bookings, viewer=Viewer.of(manager))).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    phone, email = NATIONAL_HEADERS.index("申请人电话"), NATIONAL_HEADERS.index("申请人电子邮箱")
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["SWU-SEM-01"][phone] == "0816-2481234"
    assert by_code["SWU-XRD-01"][phone] == "0816-***1234"
    assert by_code["SWU-XRD-01"][email] == "l*****@example.org.cn"


def test_the_xlsx_export_has_the_same_rows(records, api):
    api.force_authenticate(UserFactory(roles=[Role.COORDINATOR]))
    response = api.get(XLSX, {"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert rows[0] == NATIONAL_HEADERS
    assert len(rows) == 4
    assert rows[1][2] == D("375.00") or rows[1][2] == 375
    assert rows[2][NATIONAL_HEADERS.index("服务内容")] == '\'=HYPERLINK("http://x")'


def test_a_formula_behind_a_control_character_stays_text_in_the_xlsx(records, api):
    # Stored before control characters were refused, or written past the forms.
    book(records["xrd"], records["visitor"], at("2026-03-10", 9), 1, purpose=HIDDEN_FORMULA)
    api.force_authenticate(UserFactory(roles=[Role.COORDINATOR]))
    response = api.get(XLSX, {"from": "2026-03-10", "to": "2026-03-10"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cell = workbook.active.cell(row=2, column=NATIONAL_HEADERS.index("服务内容") + 1)
    assert cell.data_type != "f"
    assert cell.value == "'" + HIDDEN_FORMULA[1:]


def test_researchers_cannot_export_service_records(records, api):
    with pytest.raises(Forbidden):
        service_records(
            user=records["visitor"],
            date_from=datetime.date(2026, 3, 1),
            date_to=datetime.date(2026, 3, 31),
        )
    api.force_authenticate(records["visitor"])
    assert api.get(CSV, {"from": "2026-03-01", "to": "2026-03-31"}).status_code == 403


def test_the_date_range_is_checked(records, api):
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    with pytest.raises(RuleBroken):
        service_records(
            user=coordinator, date_from=datetime.date(2026, 3, 2), date_to=datetime.date(2026, 3, 1)
        )
    api.force_authenticate(coordinator)
    missing = api.get(CSV, {"to": "2026-03-31"})
    assert missing.status_code == 400
    assert "from" in missing.json()["error"]["fields"]
    assert api.get(CSV, {"from": "2020-01-01", "to": "2026-03-31"}).status_code == 400


def test_the_service_mode_and_project_are_the_bookings_own(records, api):
    sem, visitor = records["sem"], records["visitor"]
    book(
        sem,
        visitor,
        at("2026-03-06", 9),
        1,
        service_mode=Booking.ServiceMode.COMMISSIONED,
        project_name="国家重点研发计划 2026YFB0001",
    )
    book(sem, visitor, at("2026-03-07", 9), 1, service_mode=Booking.ServiceMode.COLLABORATIVE)
    api.force_authenticate(records["manager"])
    rows = read_csv(api.get(CSV, {"from": "2026-03-06", "to": "2026-03-07"}))
    mode, project = NATIONAL_HEADERS.index("服务方式"), NATIONAL_HEADERS.index("课题名称")
    assert [(r[mode], r[project]) for r in rows[1:]] == [
        ("委托测试", "国家重点研发计划 2026YFB0001"),
        ("合作研究", ""),
    ]


def test_the_service_mode_is_written_in_chinese_in_every_language(records, api):
    book(records["sem"], records["visitor"], at("2026-03-06", 9), 1, service_mode="other")
    api.force_authenticate(records["manager"])
    response = api.get(CSV, {"from": "2026-03-06", "to": "2026-03-06"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = read_csv(response)
    assert rows[1][NATIONAL_HEADERS.index("服务方式")] == "其他"


def test_every_service_mode_has_its_national_word():
    from sharing.bookings.service_records import SERVICE_MODES

    assert set(SERVICE_MODES) == set(Booking.ServiceMode.values)

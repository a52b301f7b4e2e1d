"""The monthly statement: the month's completed bookings and orders of an organisation or a
project, with charge = voucher part + amount due, as JSON, a printable page and an XLSX."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from portal.accounts.models import Role
from sharing.bookings.orders import services as order_services
from sharing.bookings.projects.statements import CHINA, statement_for
from sharing.bookings.services import (
    booking_approve,
    booking_check_in,
    booking_check_out,
    booking_create,
)
from tests.bookings import person
from tests.orders import advance, priced_instrument
from tests.projects import People, slot, voucher_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of_work():
    """A completed booking on the project with a voucher (2 h × 150 元 = 300, voucher 50 %),
    a reported order on the project (240 元, no voucher) and a completed booking of the member
    without a project; answers the people, the month and the rows."""
    people = People()
    voucher = voucher_for(people)
    start, end = slot(2)
    booking = booking_create(
        requester=people.member,
        instrument=people.instrument,
        start=start,
        end=end,
        purpose="形貌观察",
        project=people.project,
        voucher=voucher,
    )
    booking_approve(booking=booking, by=people.manager)
    booking_check_in(booking=booking, by=people.member, now=start)
    booking_check_out(booking=booking, by=people.member, now=end)
    other_start, other_end = slot(1, at="14:00")
    plain = booking_create(
        requester=people.member,
        instrument=people.instrument,
        start=other_start,
        end=other_end,
        purpose="不记课题",
    )
    booking_approve(booking=plain, by=people.manager)
    booking_check_in(booking=plain, by=people.member, now=other_start)
    booking_check_out(booking=plain, by=people.member, now=other_end)
    instrument = priced_instrument(managers=[people.manager])
    order = order_services.order_create(
        customer=people.member,
        instrument=instrument,
        samples=[{"name": "粉末", "count": 3, "form": "powder"}],
        items=[(instrument.test_items.get(name="物相分析"), 3)],
        project=people.project,
    )
    order = advance(order, "reported", manager=people.manager, customer=people.member)
    booking_month = start.astimezone(CHINA).date().replace(day=1)
    order_month = order.reported_at.astimezone(CHINA).date().replace(day=1)
    return people, booking_month, order_month


def test_the_statement_adds_up(month_of_work):
    people, month, _order_month = month_of_work
    statement = statement_for(organisation=people.university, month=month)
    bookings = [line for line in statement.lines if line.kind == "booking"]
    assert len(bookings) == 2
    on_project = next(line for line in bookings if line.project_id == people.project.pk)
    assert on_project.charge == Decimal("300.00")
    assert on_project.voucher_part == Decimal("150.00")
    assert on_project.due == Decimal("150.00")
    assert statement.charge == statement.voucher_part + statement.due
    for line in statement.lines:
        assert line.charge == line.voucher_part + line.due


def test_a_project_statement_has_only_its_lines(month_of_work):
    people, month, order_month = month_of_work
    statement = statement_for(organisation=people.university, month=month, project=people.project)
    assert {line.project_id for line in statement.lines} == {people.project.pk}
    orders = statement_for(
        organisation=people.university, month=order_month, project=people.project
    )
    order_lines = [line for line in orders.lines if line.kind == "order"]
    assert [line.charge for line in order_lines] == [Decimal("240.00")]


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_who_reads_the_statement(month_of_work):
    people, month, _order_month = month_of_work
    query = f"/api/statements/?month={month:%Y-%m}"
    expected = len(statement_for(organisation=people.university, month=month).lines)
    whole = _api(people.orgadmin).get(query)
    assert whole.status_code == 200 and len(whole.json()["lines"]) == expected
    mine = _api(people.pi).get(query)
    assert mine.status_code == 200
    assert {line["project_id"] for line in mine.json()["lines"]} == {people.project.pk}
    assert len(mine.json()["lines"]) == expected - 1
    assert _api(people.member).get(query).status_code == 403
    assert _api(people.outsider).get(f"{query}&project={people.project.pk}").status_code == 404
    coordinator = person("coordinator", region=people.mianyang, roles=[Role.COORDINATOR])
    answer = _api(coordinator).get(f"{query}&organisation={people.university.pk}")
    assert answer.status_code == 200 and len(answer.json()["lines"]) == expected
    assert _api(people.orgadmin).get("/api/statements/?month=2026-13").status_code == 400


def test_the_xlsx_holds_the_lines_and_the_totals(month_of_work):
    people, month, _order_month = month_of_work
    answer = _api(people.orgadmin).get(
        f"/api/statements/export.xlsx?month={month:%Y-%m}&project={people.project.pk}"
    )
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    headers = rows.index(next(r for r in rows if r[0] == "日期"))
    assert rows[headers][7:10] == ("费用（元）", "创新券抵扣（元）", "应付（元）")
    statement = statement_for(organisation=people.university, month=month, project=people.project)
    lines = rows[headers + 1 : -1]
    assert len(lines) == len(statement.lines)
    assert {line[6] for line in lines} == {"KT-2026-01 轻量化材料"}
    booking_line = next(line for line in lines if line[1] == "预约上机")
    assert [Decimal(str(v)) for v in booking_line[7:10]] == [300, 150, 150]
    totals = rows[-1]
    assert totals[0] == "合计"
    assert [Decimal(str(v)) for v in totals[7:10]] == [
        statement.charge,
        statement.voucher_part,
        statement.due,
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_statement_page_prints_in_both_languages(month_of_work, language):
    people, month, _order_month = month_of_work
    client = Client()
    client.cookies["django_language"] = language
    prefix = ""
    client.force_login(people.orgadmin)
    page = client.get(f"{prefix}/statements/?month={month:%Y-%m}")
    assert page.status_code == 200
    text = page.content.decode()
    assert ("Statement of charges" if language == "en" else "费用结算单") in text
    assert "300.00" in text and "150.00" in text
    client.force_login(people.member)
    assert client.get(f"{prefix}/statements/?month={month:%Y-%m}").status_code == 403
    client.force_login(people.outsider)
    page = client.get(f"{prefix}/statements/?month={month:%Y-%m}&project={people.project.pk}")
    assert page.status_code == 404

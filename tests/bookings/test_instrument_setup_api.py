"""The console's API: hours, policy and rates of an instrument for its managers, its usage log and
the log's CSV and XLSX export; everyone else 403 (or 404 where there is no instrument)."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from sharing.bookings.models import Booking, OpeningHours, VoucherEntry
from sharing.bookings.vouchers.services import voucher_issue
from tests.bookings import instrument_with_rules, local, person, regions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    bb, my = regions()
    manager = person("manager")
    researcher = person("researcher", region=my)
    outsider = person("outsider")
    instrument = instrument_with_rules(managers=[manager])
    return {
        "manager": manager,
        "researcher": researcher,
        "outsider": outsider,
        "instrument": instrument,
        "beibei": bb,
    }


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def done(instrument, requester, day, *, start="09:00", end="11:00", **extra):
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(local(day, start), local(day, end)),
        blocked=(local(day, start), local(day, end)),
        status=Booking.Status.COMPLETED,
        purpose="用途",
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=Decimal("150"),
        fee_estimate=Decimal("300"),
        charge=Decimal("275.00"),
        checked_in_at=local(day, start) + datetime.timedelta(minutes=5),
        checked_out_at=local(day, end) - datetime.timedelta(minutes=5),
        **extra,
    )
    return booking


def test_a_manager_reads_and_replaces_the_hours(world):
    api = client_for(world["manager"])
    url = f"/api/instruments/{world['instrument'].pk}/hours/"
    answer = api.get(url).json()
    assert answer["slot_minutes"] == 30
    assert answer["hours"][0] == {"weekday": 0, "opens": "08:00", "closes": "18:00"}
    hours = [{"weekday": 6, "opens": "18:00", "closes": "24:00"}]
    response = api.put(url, {"hours": hours}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["hours"] == hours
    assert OpeningHours.objects.filter(instrument=world["instrument"]).count() == 1


def test_contradictory_hours_are_a_400_naming_the_row_and_nothing_changes(world):
    api = client_for(world["manager"])
    url = f"/api/instruments/{world['instrument'].pk}/hours/"
    hours = [
        {"weekday": 0, "opens": "09:00", "closes": "12:00"},
        {"weekday": 0, "opens": "11:00", "closes": "13:00"},
        {"weekday": 7, "opens": "09:00", "closes": "12:00"},
    ]
    response = api.put(url, {"hours": hours}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["rule"] == "hours_invalid"
    assert set(error["fields"]) == {"hours.1", "hours.2"}
    assert OpeningHours.objects.filter(instrument=world["instrument"]).count() == 5


def test_a_policy_patch_changes_only_what_is_given(world):
    api = client_for(world["manager"])
    url = f"/api/instruments/{world['instrument'].pk}/policy/"
    response = api.patch(url, {"walk_up_allowed": True, "approval_required": True}, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["walk_up_allowed"] is True and answer["approval_required"] is True
    assert answer["slot_minutes"] == 30


def test_a_bad_policy_combination_is_a_400_not_a_database_error(world):
    api = client_for(world["manager"])
    url = f"/api/instruments/{world['instrument'].pk}/policy/"
    response = api.patch(url, {"min_minutes": 600, "max_minutes": 60}, format="json")
    assert response.status_code == 400
    assert "min_minutes" in response.json()["error"]["fields"]
    response = api.patch(url, {"slot_minutes": 3}, format="json")
    assert response.status_code == 400


def test_rates_patch_keeps_the_rates_not_given_and_refuses_negative_ones(world):
    api = client_for(world["manager"])
    url = f"/api/instruments/{world['instrument'].pk}/rates/"
    response = api.patch(url, {"firm": "250.00"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["firm"] == "250.00" and response.json()["internal"] == "50.00"
    response = api.patch(url, {"internal": "-1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["internal"]
    world["instrument"].refresh_from_db()
    assert world["instrument"].rate_internal == Decimal("50.00")


@pytest.mark.parametrize("path", ["hours/", "policy/", "rates/", "usage/", "usage/export.csv"])
def test_others_are_refused_and_a_missing_instrument_is_404(world, path):
    pk = world["instrument"].pk
    assert client_for(world["outsider"]).get(f"/api/instruments/{pk}/{path}").status_code == 403
    assert client_for(world["researcher"]).get(f"/api/instruments/{pk}/{path}").status_code == 403
    missing = client_for(world["manager"]).get(f"/api/instruments/99999999/{path}")
    assert missing.status_code == 404
    assert APIClient().get(f"/api/instruments/{pk}/{path}").status_code in (401, 403)


def test_an_administrator_manages_every_instrument(world):
    admin = UserFactory(is_superuser=True)
    url = f"/api/instruments/{world['instrument'].pk}/policy/"
    assert client_for(admin).patch(url, {"buffer_minutes": 10}, format="json").status_code == 200


def test_the_usage_log_lists_real_times_minutes_charge_and_voucher_part(world):
    instrument, researcher = world["instrument"], world["researcher"]
    day = datetime.date(2026, 10, 12)
    booking = done(instrument, researcher, day, checkout_forgotten=True)
    voucher = voucher_issue(
        issuing_region=world["beibei"],
        organisation=researcher.organisation,
        amount=Decimal("1000"),
        valid_from=day - datetime.timedelta(days=30),
        valid_until=day + datetime.timedelta(days=30),
        accepted_in=[world["beibei"], researcher.organisation.region],
    )
    VoucherEntry.objects.create(
        voucher=voucher, booking=booking, kind="reservation", amount=Decimal("150")
    )
    VoucherEntry.objects.create(
        voucher=voucher, booking=booking, kind="redemption", amount=Decimal("100")
    )
    done(instrument, researcher, day - datetime.timedelta(days=7))
    answer = client_for(world["manager"]).get(f"/api/instruments/{instrument.pk}/usage/").json()
    first = answer["results"][0]
    assert first["booking"] == booking.pk
    assert first["minutes"] == 110
    assert first["charge"] == "275.00"
    assert first["voucher_paid"] == "100.00"
    assert first["checkout_forgotten"] is True
    assert first["person"] == (researcher.get_full_name() or researcher.username)
    assert len(answer["results"]) == 2


def test_the_csv_export_has_a_bom_chinese_headers_and_guards_formulas(world):
    researcher = world["researcher"]
    researcher.first_name, researcher.last_name = '=HYPERLINK("x")', ""
    researcher.save(update_fields=["first_name", "last_name"])
    done(world["instrument"], researcher, datetime.date(2026, 10, 12))
    response = client_for(world["manager"]).get(
        f"/api/instruments/{world['instrument'].pk}/usage/export.csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("预约编号,使用人,单位,状态,预约开始")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


def test_the_xlsx_export_opens_with_the_same_rows(world):
    done(world["instrument"], world["researcher"], datetime.date(2026, 10, 12))
    response = client_for(world["manager"]).get(
        f"/api/instruments/{world['instrument'].pk}/usage/export.xlsx"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("预约编号", "使用人", "单位")
    assert rows[1][8] == 110


def test_the_usage_log_pages_newest_first_by_cursor(world):
    day = datetime.date(2026, 10, 12)
    newest = done(world["instrument"], world["researcher"], day)
    older = done(world["instrument"], world["researcher"], day - datetime.timedelta(days=1))
    api = client_for(world["manager"])
    page = api.get(f"/api/instruments/{world['instrument'].pk}/usage/?page_size=1").json()
    assert [r["booking"] for r in page["results"]] == [newest.pk]
    page = api.get(page["next"]).json()
    assert [r["booking"] for r in page["results"]] == [older.pk]
    assert page["next"] is None

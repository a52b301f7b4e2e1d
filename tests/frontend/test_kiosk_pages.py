"""The instrument's QR code, its printable sheet, and the kiosk page the code opens: sign in
and come back, check in and out in one tap, start a walk-up use; bad tokens and other
people's bookings are refused with a clear message and nothing written."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from sharing.bookings import kiosk
from sharing.bookings.fees import hours_between, money
from sharing.bookings.models import Booking, BookingPolicy
from tests.bookings import instrument_with_rules, person, regions
from tests.bookings.test_kiosk import OPEN, booking_of, old_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    _bb, my = regions()
    return {
        "manager": person("manager"),
        "researcher": person("researcher", region=my),
        "outsider": person("outsider"),
    }


@pytest.fixture
def instrument(people):
    instrument = instrument_with_rules(managers=[people["manager"]], walk_up_allowed=True, **OPEN)
    instrument.address = "北碚区天生路2号 理科楼 B203"
    instrument.save(update_fields=["address"])
    return instrument


def kiosk_path(instrument) -> str:
    return f"/kiosk/{kiosk.kiosk_token(instrument=instrument)}/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- The QR code ----------------------------------------------------------------------------


def test_the_manager_gets_an_svg_qr_code_of_the_kiosk_address(client, instrument, people):
    client.force_login(people["manager"])
    response = client.get(f"/instruments/{instrument.pk}/qr/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.lstrip().startswith(b"<svg")


def test_the_printable_sheet_has_the_name_the_place_and_the_code(client, instrument, people):
    client.force_login(people["manager"])
    response = client.get(f"/instruments/{instrument.pk}/qr/print/")
    assert response.status_code == 200
    html = response.content.decode()
    assert instrument.name in html and "理科楼 B203" in html and "<svg" in html
    url = response.context["kiosk_url"]
    assert url.startswith("http://testserver/kiosk/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert kiosk.kiosk_instrument(token=token) == instrument


def test_only_the_instruments_managers_get_its_qr_code(client, instrument, people):
    client.force_login(people["researcher"])
    assert client.get(f"/instruments/{instrument.pk}/qr/").status_code == 403
    assert client.get(f"/instruments/{instrument.pk}/qr/print/").status_code == 403
    client.logout()
    response = client.get(f"/instruments/{instrument.pk}/qr/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- Signing in ------------------------------------------------------------------------------


def test_the_kiosk_sends_a_visitor_to_sign_in_and_back(client, instrument):
    path = kiosk_path(instrument)
    response = client.get(path)
    assert response.status_code == 302
    assert "/login/" in response["Location"] and "next=" in response["Location"]


def test_a_bad_token_answers_404_with_what_to_do(client, instrument, people):
    client.force_login(people["researcher"])
    response = client.get("/kiosk/not-a-token/")
    assert response.status_code == 404
    assert "二维码无效" in response.content.decode()


def test_an_expired_token_answers_410_asking_for_a_new_code(client, instrument, people):
    client.force_login(people["researcher"])
    response = client.get(f"/kiosk/{old_token(instrument, days=500)}/")
    assert response.status_code == 410
    assert "仪器管理员" in response.content.decode()


# --- Check-in and check-out ------------------------------------------------------------------


def test_check_in_and_out_in_one_tap_each_with_the_charge_from_real_minutes(
    client, instrument, people
):
    researcher = people["researcher"]
    now = timezone.now()
    booking = booking_of(instrument, researcher, start=now + datetime.timedelta(minutes=5))
    client.force_login(researcher)
    path = kiosk_path(instrument)
    html = client.get(path).content.decode()
    assert instrument.name in html and 'value="check_in"' in html
    assert "理科楼 B203" in html

    response = client.post(path, {"action": "check_in", "booking": booking.pk}, follow=True)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN
    assert 'value="check_out"' in response.content.decode()

    # Used for 90 minutes of a 60-minute booking: the real minutes are charged.
    Booking.objects.filter(pk=booking.pk).update(
        checked_in_at=timezone.now() - datetime.timedelta(minutes=90)
    )
    response = client.post(path, {"action": "check_out", "booking": booking.pk}, follow=True)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    # 90 minutes (and the moments the test took) at 150 元/h, not the booked hour.
    assert booking.charge == money(
        Decimal("150") * hours_between(booking.checked_in_at, booking.checked_out_at)
    )
    assert Decimal("225.00") <= booking.charge < Decimal("226")
    assert any("90 分钟" in m and str(booking.charge) in m for m in messages_of(response))


def test_check_in_before_the_window_is_refused_with_its_rule(client, instrument, people):
    researcher = people["researcher"]
    later = booking_of(instrument, researcher, start=timezone.now() + datetime.timedelta(hours=2))
    client.force_login(researcher)
    path = kiosk_path(instrument)
    assert 'value="check_in"' not in client.get(path).content.decode()
    response = client.post(path, {"action": "check_in", "booking": later.pk}, follow=True)
    assert any("最早可在开始前" in m for m in messages_of(response))
    later.refresh_from_db()
    assert later.status == Booking.Status.APPROVED


def test_check_out_before_check_in_is_refused(client, instrument, people):
    researcher = people["researcher"]
    booking = booking_of(instrument, researcher, start=timezone.now())
    client.force_login(researcher)
    response = client.post(
        kiosk_path(instrument), {"action": "check_out", "booking": booking.pk}, follow=True
    )
    assert any("不能执行此操作" in m for m in messages_of(response))
    booking.refresh_from_db()
    assert (booking.status, booking.checked_out_at) == (Booking.Status.APPROVED, None)


def test_someone_elses_booking_cannot_be_checked_in_at_the_kiosk(client, instrument, people):
    booking = booking_of(instrument, people["researcher"], start=timezone.now())
    client.force_login(people["outsider"])
    response = client.post(
        kiosk_path(instrument), {"action": "check_in", "booking": booking.pk}, follow=True
    )
    assert any("没有找到这个预约" in m for m in messages_of(response))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED


def test_the_code_of_another_instrument_does_not_check_in_this_booking(client, instrument, people):
    researcher = people["researcher"]
    booking = booking_of(instrument, researcher, start=timezone.now())
    elsewhere = instrument_with_rules(**OPEN)
    client.force_login(researcher)
    response = client.post(
        kiosk_path(elsewhere), {"action": "check_in", "booking": booking.pk}, follow=True
    )
    assert any("不是本仪器" in m for m in messages_of(response))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED


# --- Walk-up ---------------------------------------------------------------------------------


def test_a_free_instrument_offers_a_walk_up_use_and_starts_it(client, instrument, people):
    researcher = people["researcher"]
    client.force_login(researcher)
    path = kiosk_path(instrument)
    html = client.get(path).content.decode()
    assert "现场上机" in html
    assert re.search(r'name="minutes" value="60"', html)
    response = client.post(path, {"action": "walk_up", "minutes": "60"}, follow=True)
    booking = Booking.objects.get(requester=researcher)
    assert (booking.status, booking.walk_up) == (Booking.Status.CHECKED_IN, True)
    assert 'value="check_out"' in response.content.decode()


def test_no_walk_up_is_offered_when_the_policy_says_no(client, instrument, people):
    BookingPolicy.objects.filter(instrument=instrument).update(walk_up_allowed=False)
    client.force_login(people["researcher"])
    path = kiosk_path(instrument)
    html = client.get(path).content.decode()
    assert 'name="minutes"' not in html and "不接受现场直接上机" in html
    response = client.post(path, {"action": "walk_up", "minutes": "60"}, follow=True)
    assert any("不接受现场直接上机" in m for m in messages_of(response))
    assert not Booking.objects.exists()


def test_a_walk_up_of_a_length_not_offered_is_refused(client, instrument, people):
    client.force_login(people["researcher"])
    response = client.post(
        kiosk_path(instrument), {"action": "walk_up", "minutes": "nonsense"}, follow=True
    )
    assert any("使用时长" in m for m in messages_of(response))
    assert not Booking.objects.exists()


def test_the_kiosk_is_in_english_on_english_pages(client, instrument, people):
    client.force_login(people["researcher"])
    client.cookies["django_language"] = "en"
    html = client.get(kiosk_path(instrument), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Walk-up use" in html

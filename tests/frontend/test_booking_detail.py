"""The page of one booking: what it shows, and check-in, check-out and cancel as buttons that
ask the services' own rules."""

import datetime
from decimal import Decimal

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from sharing.bookings import services
from sharing.bookings.models import Booking, BookingTransition
from sharing.bookings.vouchers.services import voucher_issue
from tests.bookings import instrument_with_rules, local, next_weekday, person
from tests.factories import beibei

pytestmark = pytest.mark.django_db

ALWAYS_OPEN = {weekday: [("00:00", "23:59")] for weekday in range(7)}


@pytest.fixture
def world():
    manager = person("manager")
    owner = person("owner")
    outsider = person("outsider")
    instrument = instrument_with_rules(
        hours=ALWAYS_OPEN, managers=[manager], approval_required=True
    )
    instrument.address = "北碚区天生路2号 理科楼 B203"
    instrument.save(update_fields=["address"])
    return {"manager": manager, "owner": owner, "outsider": outsider, "instrument": instrument}


def approved_now(world, *, minutes_from_now=5, hours=1):
    """An approved booking of owner's starting a few minutes from now (inside the check-in
    window), written directly: the service would refuse a start under the notice."""
    start = timezone.now() + datetime.timedelta(minutes=minutes_from_now)
    end = start + datetime.timedelta(hours=hours)
    return Booking.objects.create(
        instrument=world["instrument"],
        requester=world["owner"],
        period=DateTimeTZRange(start, end),
        blocked=DateTimeTZRange(start, end),
        status=Booking.Status.APPROVED,
        rate_category=Booking.RateCategory.SAME_REGION,
        hourly_rate=Decimal("100"),
        fee_estimate=Decimal("100.00"),
        purpose="形貌观察",
    )


def requested_later(world):
    day = next_weekday(2, days_ahead=3)
    return services.booking_create(
        requester=world["owner"],
        instrument=world["instrument"],
        start=local(day, "09:00"),
        end=local(day, "11:00"),
        purpose="元素分析",
    )


def test_the_page_shows_instrument_address_times_status_history_and_fee(client, world):
    booking = requested_later(world)
    client.force_login(world["owner"])
    response = client.get(f"/bookings/{booking.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert world["instrument"].name in html
    assert "北碚区天生路2号 理科楼 B203" in html
    day = booking.period.lower.astimezone(timezone.get_default_timezone())
    assert f"{day:%Y-%m-%d} 09:00" in html and "11:00" in html
    assert "元素分析" in html
    assert str(booking.fee_estimate) in html
    assert "待审批" in html  # status and the history's first line
    assert 'name="action" value="cancel"' in html
    assert 'value="check_in"' not in html  # not yet approved


def test_check_in_within_the_window_then_check_out_sets_the_charge(client, world):
    booking = approved_now(world)
    client.force_login(world["owner"])
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert 'value="check_in"' in html
    response = client.post(f"/bookings/{booking.pk}/", {"action": "check_in"})
    assert response.status_code == 302 and response.url == f"/bookings/{booking.pk}/"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN and booking.checked_in_at
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert 'value="check_out"' in html and 'value="check_in"' not in html
    client.post(f"/bookings/{booking.pk}/", {"action": "check_out"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.charge is not None
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert f"{booking.charge} 元" in html
    assert "已完成" in html and 'value="check_out"' not in html


def test_cancel_with_a_reason_records_it_in_the_history(client, world):
    booking = requested_later(world)
    client.force_login(world["owner"])
    response = client.post(
        f"/bookings/{booking.pk}/", {"action": "cancel", "reason": "样品未到"}, follow=True
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    transition = BookingTransition.objects.filter(booking=booking).latest("at")
    assert transition.reason == "样品未到" and transition.by == world["owner"]
    html = response.content.decode()
    assert "样品未到" in html and "已取消" in html


def test_a_cancel_without_a_reason_is_asked_for_one_and_changes_nothing(client, world):
    booking = requested_later(world)
    client.force_login(world["owner"])
    response = client.post(f"/bookings/{booking.pk}/", {"action": "cancel"}, follow=True)
    assert "请填写取消理由。" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


def test_someone_elses_booking_is_404_to_see_and_to_act_on(client, world):
    booking = requested_later(world)
    client.force_login(world["outsider"])
    assert client.get(f"/bookings/{booking.pk}/").status_code == 404
    response = client.post(f"/bookings/{booking.pk}/", {"action": "cancel", "reason": "x"})
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


def test_the_manager_of_the_instrument_sees_the_page(client, world):
    booking = requested_later(world)
    client.force_login(world["manager"])
    assert client.get(f"/bookings/{booking.pk}/").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    booking = requested_later(world)
    response = client.get(f"/bookings/{booking.pk}/")
    assert response.status_code == 302 and "/login/" in response.url


def test_a_refused_check_in_shows_the_rules_message_and_changes_nothing(client, world):
    booking = approved_now(world, minutes_from_now=120)  # too early to check in
    client.force_login(world["owner"])
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert 'value="check_in"' not in html
    response = client.post(f"/bookings/{booking.pk}/", {"action": "check_in"}, follow=True)
    assert "最早可在开始前 15 分钟上机签到。" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED and booking.checked_in_at is None


def test_an_unknown_action_changes_nothing(client, world):
    booking = requested_later(world)
    client.force_login(world["owner"])
    response = client.post(f"/bookings/{booking.pk}/", {"action": "approve"}, follow=True)
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


def test_my_bookings_and_the_queue_link_each_booking_to_its_page(client, world):
    booking = requested_later(world)
    client.force_login(world["owner"])
    assert f'href="/bookings/{booking.pk}/"' in client.get("/bookings/").content.decode()
    client.force_login(world["manager"])
    assert f'href="/bookings/{booking.pk}/"' in client.get("/bookings/queue/").content.decode()


def test_a_voucher_redemption_is_shown(client, world):
    owner = world["owner"]
    today = timezone.localdate()
    voucher = voucher_issue(
        issuing_region=beibei(),
        organisation=owner.organisation,
        amount=Decimal("1000.00"),
        valid_from=today - datetime.timedelta(days=1),
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=[beibei()],
        code="500109-2026-BB01",
    )
    day = next_weekday(3, days_ahead=3)
    booking = services.booking_create(
        requester=owner,
        instrument=world["instrument"],
        start=local(day, "09:00"),
        end=local(day, "11:00"),
        purpose="元素分析",
        voucher=voucher,
    )
    client.force_login(owner)
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert "500109-2026-BB01" in html

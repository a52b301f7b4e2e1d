"""A manager corrects a session nobody checked out of: the real times and a charge no higher
than those times cost nor lower than vouchers paid; once, audited, in the booking's history."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from portal.audit.models import AuditEvent
from portal.errors import Conflict, Forbidden, RuleBroken
from sharing.bookings.models import Booking
from sharing.bookings.services.usage import booking_adjust_usage
from tests.bookings import at, instrument_with_rules, person, regions

NOW = at("2026-10-13 09:00")


@pytest.fixture
def world(db):
    _bb, my = regions()
    manager = person("manager")
    researcher = person("researcher", region=my)
    instrument = instrument_with_rules(managers=[manager])
    booking = Booking.objects.create(
        instrument=instrument,
        requester=researcher,
        period=(at("2026-10-12 09:00"), at("2026-10-12 11:00")),
        blocked=(at("2026-10-12 09:00"), at("2026-10-12 11:00")),
        status=Booking.Status.COMPLETED,
        purpose="测试",
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=Decimal("150"),
        fee_estimate=Decimal("300"),
        charge=Decimal("300.00"),
        checked_in_at=at("2026-10-12 09:05"),
        checked_out_at=at("2026-10-12 11:00"),
        checkout_forgotten=True,
    )
    return {"manager": manager, "researcher": researcher, "booking": booking}


def adjust(world, *, by=None, start="09:05", end="10:00", **extra):
    return booking_adjust_usage(
        booking=world["booking"],
        by=by or world["manager"],
        checked_in_at=at(f"2026-10-12 {start}"),
        checked_out_at=at(f"2026-10-12 {end}"),
        now=NOW,
        **extra,
    )


def test_a_manager_sets_the_real_times_and_a_lower_charge_once(world):
    booking = adjust(world, charge="137.50", reason="实际 10:00 下机")
    assert booking.checked_out_at == at("2026-10-12 10:00")
    assert booking.charge == Decimal("137.50")
    assert booking.checkout_forgotten is False
    assert booking.transitions.get().reason == "实际 10:00 下机"
    event = AuditEvent.objects.get(action="booking.usage_adjusted")
    assert event.changes["charge"] == ["300.00", "137.50"]
    with pytest.raises(Conflict):
        adjust(world)


def test_without_a_charge_the_usual_charge_for_the_times_applies(world):
    # Never less than the booked time (fees.charge_for): two hours at 150.
    assert adjust(world).charge == Decimal("300.00")


@pytest.mark.parametrize(
    ("start", "end", "extra"),
    [
        ("10:00", "09:30", {}),  # check-out before check-in
        ("07:00", "10:00", {}),  # long before the booking
        ("09:05", "10:00", {"charge": "400"}),  # more than the times cost
        ("09:05", "10:00", {"charge": "-1"}),
        ("09:05", "10:00", {"charge": "abc"}),
    ],
)
def test_bad_corrections_are_refused_and_nothing_changes(world, start, end, extra):
    with pytest.raises(RuleBroken):
        adjust(world, start=start, end=end, **extra)
    booking = Booking.objects.get(pk=world["booking"].pk)
    assert booking.checkout_forgotten and booking.charge == Decimal("300.00")
    assert not AuditEvent.objects.filter(action="booking.usage_adjusted").exists()


def test_the_user_cannot_correct_their_own_session(world):
    with pytest.raises(Forbidden):
        adjust(world, by=world["researcher"])


def test_the_api_corrects_and_refuses_in_the_one_error_shape(world):
    api = APIClient()
    api.force_authenticate(world["manager"])
    url = f"/api/bookings/{world['booking'].pk}/adjust-usage/"
    bad = api.post(
        url,
        {"checked_in_at": "2026-10-12T10:00:00", "checked_out_at": "2026-10-12T09:00:00"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["rule"] == "usage_times"
    good = api.post(
        url,
        {
            "checked_in_at": "2026-10-12T09:05:00",
            "checked_out_at": "2026-10-12T10:00:00",
            "charge": "150.00",
        },
        format="json",
    )
    assert good.status_code == 200, good.content
    assert good.json()["charge"] == "150.00"
    again = api.post(
        url,
        {"checked_in_at": "2026-10-12T09:05:00", "checked_out_at": "2026-10-12T10:00:00"},
        format="json",
    )
    assert again.status_code == 409


def test_the_console_page_corrects_a_forgotten_session(client, world):
    client.force_login(world["manager"])
    url = f"/manage/instruments/{world['booking'].instrument_id}/"
    page = client.get(url).content.decode()
    assert 'name="section" value="usage"' in page
    data = {"section": "usage", "booking": world["booking"].pk, "checked_in": "09:05"}
    response = client.post(url, {**data, "checked_out": "08:00", "charge": "", "reason": ""})
    assert response.status_code == 400
    assert "下机时间须晚于上机时间" in response.content.decode()
    assert 'value="08:00"' in response.content.decode()
    response = client.post(url, {**data, "checked_out": "10:00", "charge": "120", "reason": "x"})
    assert response.status_code == 302
    booking = Booking.objects.get(pk=world["booking"].pk)
    assert booking.charge == Decimal("120.00") and not booking.checkout_forgotten

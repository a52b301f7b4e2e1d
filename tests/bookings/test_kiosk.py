"""The kiosk at an instrument: its signed token, the booking for now, and walk-up use.

The people: ``manager`` manages the instrument, ``owner`` works at the organisation that owns
it, ``researcher`` is a Mianyang researcher, ``outsider`` nobody in particular. The instrument
is open around the clock so the tests hold whatever the hour they run.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import signing
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test import override_settings
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.errors import Conflict, NotFound, RuleBroken
from sharing.bookings import kiosk, services
from sharing.bookings.models import Blackout, Booking, BookingPolicy, Qualification
from tests.bookings import instrument_with_rules, person, regions

pytestmark = pytest.mark.django_db

ALWAYS_OPEN = {weekday: [("00:00", "23:59")] for weekday in range(7)}
# Around the clock and no holidays: the walk-up tests may run at any hour of any day.
OPEN = {"hours": ALWAYS_OPEN, "closed_on_holidays": False}


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
    return instrument_with_rules(managers=[people["manager"]], walk_up_allowed=True, **OPEN)


def booking_of(instrument, requester, *, start, minutes=60, status=Booking.Status.APPROVED, **kw):
    end = start + datetime.timedelta(minutes=minutes)
    return Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=DateTimeTZRange(start, end),
        blocked=DateTimeTZRange(start, end),
        status=status,
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=Decimal("150"),
        fee_estimate=Decimal("150.00"),
        purpose="形貌观察",
        **kw,
    )


# --- The token -------------------------------------------------------------------------------


def test_a_token_opens_the_instrument_it_was_made_for(instrument):
    token = kiosk.kiosk_token(instrument=instrument)
    assert kiosk.kiosk_instrument(token=token) == instrument


def test_a_token_names_only_its_instrument(instrument):
    other = instrument_with_rules(**OPEN)
    assert kiosk.kiosk_instrument(token=kiosk.kiosk_token(instrument=other)) == other
    assert kiosk.kiosk_token(instrument=other) != kiosk.kiosk_token(instrument=instrument)


def test_a_tampered_token_is_refused(instrument):
    other = instrument_with_rules(**OPEN)
    token = kiosk.kiosk_token(instrument=instrument)
    # Swap in the other instrument's payload with the first one's signature.
    forged_payload = kiosk.kiosk_token(instrument=other).split(":")[0]
    forged = ":".join([forged_payload, *token.split(":")[1:]])
    for bad in (forged, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "nonsense", ""):
        with pytest.raises(NotFound) as refused:
            kiosk.kiosk_instrument(token=bad)
        assert refused.value.rule == "bad_token"


def test_a_token_signed_for_another_purpose_is_refused(instrument):
    token = signing.dumps({"instrument": instrument.pk}, salt="sharing.bookings.ics")
    with pytest.raises(NotFound):
        kiosk.kiosk_instrument(token=token)


def test_a_token_of_a_withdrawn_instrument_is_refused(instrument):
    token = kiosk.kiosk_token(instrument=instrument)
    instrument.withdrawn_at = timezone.now()
    instrument.save(update_fields=["withdrawn_at"])
    with pytest.raises(NotFound):
        kiosk.kiosk_instrument(token=token)


def old_token(instrument, *, days: int) -> str:
    """A token signed ``days`` ago: signing's timestamp is the signer's clock."""
    then = (timezone.now() - datetime.timedelta(days=days)).timestamp()
    signer = signing.TimestampSigner(salt=kiosk.SALT)
    signer.timestamp = lambda: signing.b62_encode(int(then))
    return signer.sign_object({"instrument": instrument.pk})


@override_settings(KIOSK_TOKEN_MAX_AGE_DAYS=400)
def test_a_token_lasts_a_year_and_then_expires(instrument):
    assert kiosk.kiosk_instrument(token=old_token(instrument, days=365)) == instrument
    with pytest.raises(kiosk.TokenExpired) as expired:
        kiosk.kiosk_instrument(token=old_token(instrument, days=401))
    assert expired.value.status_code == 410
    assert "管理员" in expired.value.message


# --- The booking for now ---------------------------------------------------------------------


def test_the_booking_for_now_is_the_one_whose_check_in_window_is_open(instrument, people):
    researcher, now = people["researcher"], timezone.now()
    later = booking_of(instrument, researcher, start=now + datetime.timedelta(hours=3))
    assert kiosk.kiosk_booking(user=researcher, instrument=instrument, now=now) is None
    soon = booking_of(instrument, researcher, start=now + datetime.timedelta(minutes=10))
    assert kiosk.kiosk_booking(user=researcher, instrument=instrument, now=now) == soon
    assert kiosk.kiosk_booking(user=people["outsider"], instrument=instrument, now=now) is None
    assert later.status == Booking.Status.APPROVED


def test_a_session_checked_in_is_the_booking_for_now(instrument, people):
    researcher, now = people["researcher"], timezone.now()
    session = booking_of(
        instrument,
        researcher,
        start=now - datetime.timedelta(minutes=30),
        status=Booking.Status.CHECKED_IN,
        checked_in_at=now - datetime.timedelta(minutes=29),
    )
    assert kiosk.kiosk_booking(user=researcher, instrument=instrument, now=now) == session


# --- Walk-up ---------------------------------------------------------------------------------


def test_walk_up_starts_now_checked_in_at_the_persons_rate(instrument, people):
    researcher = people["researcher"]
    now = timezone.now()
    booking = services.booking_walk_up(user=researcher, instrument=instrument, minutes=60, now=now)
    assert booking.status == Booking.Status.CHECKED_IN
    assert booking.walk_up is True
    assert booking.service_mode == Booking.ServiceMode.SELF_OPERATED
    assert booking.start == kiosk.walk_up_start(now)
    assert booking.end - booking.start == datetime.timedelta(minutes=60)
    assert booking.checked_in_at == now
    assert (booking.rate_category, booking.hourly_rate) == ("other_region", Decimal("150"))
    assert booking.fee_estimate == Decimal("150.00")
    assert [t.to_status for t in booking.transitions.all()] == ["checked_in"]
    assert AuditEvent.objects.filter(action="booking.checked_in").exists()


def test_walk_up_then_check_out_charges_the_real_minutes(instrument, people):
    researcher = people["researcher"]
    now = timezone.now()
    booking = services.booking_walk_up(user=researcher, instrument=instrument, minutes=30, now=now)
    booking = services.booking_check_out(
        booking=booking, by=researcher, now=now + datetime.timedelta(minutes=90)
    )
    assert booking.status == Booking.Status.COMPLETED
    assert booking.charge == Decimal("225.00")  # 90 minutes at 150 元/h


def test_walk_up_is_refused_when_the_policy_does_not_allow_it(instrument, people):
    BookingPolicy.objects.filter(instrument=instrument).update(walk_up_allowed=False)
    instrument.refresh_from_db()
    offer = kiosk.walk_up(user=people["researcher"], instrument=instrument, now=timezone.now())
    assert offer.refusal.rule == "walk_up_not_allowed"
    with pytest.raises(RuleBroken) as refused:
        services.booking_walk_up(user=people["researcher"], instrument=instrument, minutes=30)
    assert refused.value.rule == "walk_up_not_allowed"
    assert not Booking.objects.exists()


def test_walk_up_is_refused_while_someone_holds_the_instrument(instrument, people):
    now = timezone.now()
    booking_of(instrument, people["outsider"], start=now - datetime.timedelta(minutes=20))
    with pytest.raises(Conflict) as refused:
        services.booking_walk_up(user=people["researcher"], instrument=instrument, minutes=30)
    assert refused.value.rule == "not_free"
    assert Booking.objects.count() == 1


def test_walk_up_stops_before_the_next_booking(instrument, people):
    now = timezone.now()
    start = kiosk.walk_up_start(now)
    booking_of(instrument, people["outsider"], start=start + datetime.timedelta(minutes=75))
    offer = kiosk.walk_up(user=people["researcher"], instrument=instrument, now=now)
    assert offer.lengths == (30, 60)
    with pytest.raises(RuleBroken) as refused:
        services.booking_walk_up(
            user=people["researcher"], instrument=instrument, minutes=90, now=now
        )
    assert refused.value.rule == "walk_up_length"
    assert Booking.objects.count() == 1


def test_walk_up_is_refused_during_a_closure(instrument, people):
    now = timezone.now()
    Blackout.objects.create(
        instrument=instrument,
        period=(now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)),
        kind=Blackout.Kind.MAINTENANCE,
    )
    offer = kiosk.walk_up(user=people["researcher"], instrument=instrument, now=now)
    assert not offer.possible and offer.refusal.rule == "not_free"


def test_walk_up_is_refused_outside_opening_hours(people):
    closed = instrument_with_rules(hours={}, walk_up_allowed=True, closed_on_holidays=False)
    offer = kiosk.walk_up(user=people["researcher"], instrument=closed, now=timezone.now())
    assert offer.refusal.rule == "outside_opening_hours"


def test_walk_up_needs_a_qualification_where_the_policy_asks_for_one(instrument, people):
    BookingPolicy.objects.filter(instrument=instrument).update(qualification_required=True)
    instrument.refresh_from_db()
    researcher = people["researcher"]
    with pytest.raises(RuleBroken) as refused:
        services.booking_walk_up(user=researcher, instrument=instrument, minutes=30)
    assert refused.value.rule == "qualification"
    Qualification.objects.create(
        user=researcher,
        instrument=instrument,
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
    )
    assert services.booking_walk_up(user=researcher, instrument=instrument, minutes=30).walk_up


def test_walk_up_keeps_the_weekly_quota(instrument, people):
    BookingPolicy.objects.filter(instrument=instrument).update(weekly_quota_minutes=30)
    instrument.refresh_from_db()
    offer = kiosk.walk_up(user=people["researcher"], instrument=instrument, now=timezone.now())
    assert offer.possible
    with pytest.raises(RuleBroken) as refused:
        services.booking_walk_up(user=people["researcher"], instrument=instrument, minutes=60)
    assert refused.value.rule == "weekly_quota"


def test_walk_up_is_refused_to_someone_who_may_not_use_the_instrument(instrument):
    unverified = person("unverified", verify=False)
    offer = kiosk.walk_up(user=unverified, instrument=instrument, now=timezone.now())
    assert offer.refusal.rule == "not_recognised"


def test_a_walk_up_race_is_lost_with_slot_taken_and_nothing_written(
    instrument, people, monkeypatch
):
    """The second person's offer was read before the first one's use was stored: the
    exclusion constraint refuses the second."""
    now = timezone.now()
    services.booking_walk_up(user=people["outsider"], instrument=instrument, minutes=30, now=now)
    stale = kiosk.WalkUp(start=kiosk.walk_up_start(now), until=None, lengths=(30,), refusal=None)
    monkeypatch.setattr(kiosk, "walk_up", lambda **kw: stale)
    with pytest.raises(Conflict) as refused:
        services.booking_walk_up(
            user=people["researcher"], instrument=instrument, minutes=30, now=now
        )
    assert refused.value.rule == "slot_taken"
    assert Booking.objects.count() == 1

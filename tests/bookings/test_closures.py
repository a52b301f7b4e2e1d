"""Closures (停用, 维护): the preview, what saving does to the bookings under them (cancelled,
voucher refunded, told with the nearest free times), taking one back, bad input, and the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.errors import Conflict, Forbidden, RuleBroken
from portal.notifications.models import Notification
from sharing.bookings import services
from sharing.bookings.availability import availability
from sharing.bookings.models import Blackout, Booking, Notice, Voucher
from sharing.bookings.services.closures import (
    closure_create,
    closure_delete,
    closure_preview,
)
from sharing.bookings.vouchers.services import voucher_issue
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(db):
    regions()
    return person("manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def instrument(manager):
    return instrument_with_rules(managers=[manager], closed_on_holidays=False)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


@pytest.fixture
def voucher(researcher):
    bb, my = regions()
    today = timezone.localdate()
    return voucher_issue(
        issuing_region=my,
        organisation=researcher.organisation,
        amount=Decimal("1000.00"),
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=[my, bb],
    )


def day():
    return next_weekday(2)


def book(instrument, researcher, start="09:00", end="11:00", voucher=None):
    return services.booking_create(
        requester=researcher,
        instrument=instrument,
        start=local(day(), start),
        end=local(day(), end),
        purpose="XRD 物相分析",
        voucher=voucher,
    )


def close(instrument, manager, start="08:00", end="12:00", **extra):
    return closure_create(
        instrument=instrument,
        by=manager,
        start=local(day(), start),
        end=local(day(), end),
        kind=extra.pop("kind", Blackout.Kind.MAINTENANCE),
        reason=extra.pop("reason", "更换X光管"),
        **extra,
    )


# --- Services -------------------------------------------------------------------------------


def test_the_preview_lists_the_bookings_a_closure_falls_on_and_saves_nothing(
    instrument, manager, researcher
):
    booking = book(instrument, researcher)
    book(instrument, researcher, "14:00", "15:00")  # after the closure
    affected = closure_preview(
        instrument=instrument, by=manager, start=local(day(), "08:00"), end=local(day(), "12:00")
    )
    assert [a.booking.pk for a in affected] == [booking.pk]
    assert affected[0].action == "cancelled"
    assert not Blackout.objects.exists()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED


def test_it_cancels_the_booking_under_a_closure_refunds_the_voucher_and_tells_the_researcher(
    instrument, manager, researcher, voucher
):
    booking = book(instrument, researcher, voucher=voucher)
    voucher.refresh_from_db()
    assert voucher.balance < voucher.amount
    closure, affected = close(instrument, manager)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.transitions.last().by == manager
    voucher.refresh_from_db()
    assert voucher.balance == voucher.amount
    note = Notification.objects.get(user=researcher, kind=Notice.CLOSED)
    assert "更换X光管" in note.body
    assert "Nearest free times" in note.body
    # Three offers of the same two hours, after the closure, that can really be booked.
    offers = affected[0].offers
    assert len(offers) == 3
    for start, end in offers:
        assert end - start == datetime.timedelta(hours=2)
        assert start >= closure.period.upper
    assert AuditEvent.objects.filter(action="closure.created").exists()


def test_the_offers_are_free_times_by_the_same_rules_as_availability(
    instrument, manager, researcher
):
    book(instrument, researcher)
    book(instrument, researcher, "12:00", "14:00")  # taken right after the closure
    _closure, affected = close(instrument, manager)
    first = affected[0].offers[0]
    assert first[0] >= local(day(), "14:00")
    free = availability(instrument=instrument, start=first[0], end=first[1])
    assert free and free[0][0] <= first[0] and free[0][1] >= first[1]


def test_a_session_under_way_is_told_not_cancelled(instrument, manager, researcher):
    now = timezone.now()
    booking = Booking.objects.create(
        instrument=instrument,
        requester=researcher,
        period=(now - datetime.timedelta(minutes=30), now + datetime.timedelta(minutes=30)),
        blocked=(now - datetime.timedelta(minutes=30), now + datetime.timedelta(minutes=30)),
        status=Booking.Status.CHECKED_IN,
        checked_in_at=now - datetime.timedelta(minutes=25),
        purpose="测试",
        rate_category=Booking.RateCategory.OTHER_REGION,
    )
    _closure, affected = closure_create(
        instrument=instrument,
        by=manager,
        start=now,
        end=now + datetime.timedelta(hours=2),
        kind=Blackout.Kind.BLACKOUT,
        reason="停电",
    )
    assert [a.action for a in affected] == ["told"]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CHECKED_IN
    note = Notification.objects.get(user=researcher, kind=Notice.CLOSED)
    assert "not cancelled" in note.body


@pytest.mark.parametrize(
    ("start", "end", "rule"),
    [
        ("10:00", "10:00", "closure_order"),
        ("11:00", "10:00", "closure_order"),
    ],
)
def test_it_refuses_a_closure_that_ends_before_it_starts(instrument, manager, start, end, rule):
    with pytest.raises(RuleBroken) as excinfo:
        close(instrument, manager, start, end)
    assert excinfo.value.rule == rule
    assert not Blackout.objects.exists()


def test_it_refuses_closure_before_now(instrument, manager):
    now = timezone.now()
    with pytest.raises(RuleBroken) as excinfo:
        closure_create(
            instrument=instrument,
            by=manager,
            start=now - datetime.timedelta(hours=1),
            end=now + datetime.timedelta(hours=1),
            kind=Blackout.Kind.BLACKOUT,
        )
    assert excinfo.value.rule == "closure_in_past"


def test_it_refuses_an_absurdly_long_closure(instrument, manager):
    now = timezone.now()
    with pytest.raises(RuleBroken) as excinfo:
        closure_create(
            instrument=instrument,
            by=manager,
            start=now + datetime.timedelta(hours=1),
            end=now + datetime.timedelta(days=400),
            kind=Blackout.Kind.BLACKOUT,
        )
    assert excinfo.value.rule == "closure_too_long"


def test_it_refuses_a_closure_overlapping_another_and_cancels_nothing(
    instrument, manager, researcher
):
    close(instrument, manager, "08:00", "09:00")
    booking = book(instrument, researcher, "10:00", "11:00")
    with pytest.raises(Conflict) as excinfo:
        close(instrument, manager, "08:30", "12:00")
    assert excinfo.value.rule == "closure_overlap"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED
    assert Blackout.objects.count() == 1


def test_only_the_instruments_managers_may_close_it(instrument, researcher, outsider):
    for person_ in (researcher, outsider):
        with pytest.raises(Forbidden):
            close(instrument, person_)
    assert not Blackout.objects.exists()


def test_a_closure_cannot_be_a_breakdown_by_hand(instrument, manager):
    with pytest.raises(RuleBroken) as excinfo:
        close(instrument, manager, kind=Blackout.Kind.BREAKDOWN)
    assert excinfo.value.rule == "closure_kind"


def test_a_future_closure_may_be_removed_and_its_time_is_free_again(instrument, manager):
    closure, _affected = close(instrument, manager)
    assert closure_delete(closure=closure, by=manager) is None
    assert not Blackout.objects.exists()
    assert AuditEvent.objects.filter(action="closure.deleted").exists()


def test_a_closure_under_way_ends_now_when_taken_back(instrument, manager):
    now = timezone.now()
    closure, _ = closure_create(
        instrument=instrument,
        by=manager,
        start=now,
        end=now + datetime.timedelta(days=1),
        kind=Blackout.Kind.MAINTENANCE,
    )
    later = now + datetime.timedelta(hours=1)
    ended = closure_delete(closure=closure, by=manager, now=later)
    assert ended.period.upper == later


def test_a_past_closure_stays(instrument, manager):
    closure, _ = close(instrument, manager)
    with pytest.raises(Conflict) as excinfo:
        closure_delete(closure=closure, by=manager, now=local(day(), "13:00"))
    assert excinfo.value.rule == "closure_over"


# --- API ------------------------------------------------------------------------------------


def url(instrument):
    return f"/api/instruments/{instrument.pk}/closures/"


def body(start="08:00", end="12:00", **extra):
    return {
        "start": local(day(), start).isoformat(),
        "end": local(day(), end).isoformat(),
        "kind": "maintenance",
        "reason": "年度保养",
        **extra,
    }


def test_the_api_previews_then_saves_a_closure(api, instrument, manager, researcher, voucher):
    booking = book(instrument, researcher, voucher=voucher)
    api.force_authenticate(manager)
    answer = api.post(url(instrument), body(preview=True), format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["affected"][0]["booking"] == booking.pk
    assert not Blackout.objects.exists()

    answer = api.post(url(instrument), body(), format="json")
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["closure"]["reason"] == "年度保养"
    assert data["affected"][0]["action"] == "cancelled"
    assert len(data["affected"][0]["offers"]) == 3
    assert Voucher.objects.get(pk=voucher.pk).balance == voucher.amount
    assert Notification.objects.filter(user=researcher, kind=Notice.CLOSED).exists()


def test_the_public_sees_the_periods_and_managers_the_reasons(api, instrument, manager):
    close(instrument, manager)
    public = api.get(url(instrument)).json()
    assert public[0]["kind"] == "maintenance" and "reason" not in public[0]
    api.force_authenticate(manager)
    assert api.get(url(instrument)).json()[0]["reason"] == "更换X光管"


@pytest.mark.parametrize(
    ("data", "status", "rule"),
    [
        (body("12:00", "08:00"), 400, None),
        (body(kind="breakdown"), 400, None),
        (body(reason="a\nb"), 400, None),
    ],
)
def test_the_api_refuses_bad_input_in_the_one_error_shape(
    api, instrument, manager, data, status, rule
):
    api.force_authenticate(manager)
    answer = api.post(url(instrument), data, format="json")
    assert answer.status_code == status
    assert "error" in answer.json()
    assert not Blackout.objects.exists()


def test_the_api_answers_409_for_an_overlap_and_403_for_a_researcher(
    api, instrument, manager, researcher
):
    close(instrument, manager)
    api.force_authenticate(manager)
    answer = api.post(url(instrument), body("11:00", "13:00"), format="json")
    assert answer.status_code == 409
    assert answer.json()["error"]["rule"] == "closure_overlap"
    api.force_authenticate(researcher)
    assert api.post(url(instrument), body("14:00", "15:00"), format="json").status_code == 403
    assert Blackout.objects.count() == 1


def test_the_api_deletes_a_future_closure(api, instrument, manager, researcher):
    closure, _ = close(instrument, manager)
    api.force_authenticate(researcher)
    assert api.delete(f"{url(instrument)}{closure.pk}/").status_code == 403
    api.force_authenticate(manager)
    assert api.delete(f"{url(instrument)}{closure.pk}/").status_code == 204
    assert api.delete(f"{url(instrument)}{closure.pk}/").status_code == 404

"""Every booking rule, one by one, through the services; plus approval, check-in/out,
series, waitlist and the sweeps."""

import datetime
from decimal import Decimal

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from portal.accounts.models import Organisation, Role
from portal.errors import Conflict, Forbidden, RuleBroken
from portal.notifications.models import Notification
from sharing.bookings import services
from sharing.bookings.models import (
    Blackout,
    Booking,
    BookingTransition,
    Qualification,
    WaitlistEntry,
)
from sharing.catalogue.models import Instrument
from tests.bookings import at, instrument_with_rules, person, regions
from tests.factories import OrganisationFactory, RegionFactory

pytestmark = pytest.mark.django_db

NOW = at("2026-09-01 08:00")


@pytest.fixture
def manager(db):
    regions()
    return person("manager", roles=[Role.INSTRUMENT_MANAGER])


@pytest.fixture
def instrument(manager):
    return instrument_with_rules(managers=[manager])


@pytest.fixture
def owner(instrument):
    """A researcher of the organisation that owns the instrument."""
    return person("owner", organisation=instrument.organisation)


@pytest.fixture
def researcher(db):
    """A Mianyang researcher, verified in Mianyang only."""
    _bb, my = regions()
    return person("researcher", region=my)


@pytest.fixture
def outsider(db):
    regions()
    return person("outsider")


def create(requester, instrument, start, end, now=NOW, **extra):
    return services.booking_create(
        requester=requester,
        instrument=instrument,
        start=at(start),
        end=at(end),
        purpose="扫描电镜观察样品形貌",
        now=now,
        **extra,
    )


def broken(rule, requester, instrument, start="2026-10-12 09:00", end="2026-10-12 10:00", **kw):
    with pytest.raises(RuleBroken) as caught:
        create(requester, instrument, start, end, **kw)
    assert caught.value.rule == rule, caught.value.message
    return caught.value


# --- The rules, in order ----------------------------------------------------------------------


def test_an_instrument_that_is_not_shared_cannot_be_booked(instrument, owner):
    instrument.sharing_mode = Instrument.SharingMode.NONE
    instrument.save()
    broken("not_shareable", owner, instrument)


def test_an_internal_instrument_is_for_its_own_organisation_only(instrument, owner, outsider):
    instrument.sharing_mode = Instrument.SharingMode.INTERNAL
    instrument.save()
    broken("not_shareable", outsider, instrument)
    assert create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00").pk


def test_an_instrument_awaiting_repair_cannot_be_booked(instrument, owner):
    instrument.running_status = Instrument.RunningStatus.AWAITING_REPAIR
    instrument.save()
    broken("instrument_not_running", owner, instrument)


def test_an_unverified_person_is_not_recognised(instrument):
    unverified = person("unverified", verify=False)
    broken("not_recognised", unverified, instrument)


def test_a_verification_in_a_region_that_is_not_recognised_does_not_count(instrument):
    elsewhere = RegionFactory(adcode="510100", code="chengdu", name="成都", province="四川省")
    broken("not_recognised", person("chengdu", region=elsewhere), instrument)


def test_times_off_the_slot_grid_are_refused(instrument, owner):
    broken("slot_alignment", owner, instrument, "2026-10-12 09:10", "2026-10-12 10:10")


def test_too_short_and_too_long_are_refused(instrument, owner):
    instrument.booking_policy.min_minutes = 60
    instrument.booking_policy.max_minutes = 120
    instrument.booking_policy.save()
    broken("too_short", owner, instrument, "2026-10-12 09:00", "2026-10-12 09:30")
    broken("too_short", owner, instrument, "2026-10-12 10:00", "2026-10-12 09:00")
    broken("too_long", owner, instrument, "2026-10-12 09:00", "2026-10-12 11:30")


def test_minimum_notice_is_kept(instrument, owner):
    now = at("2026-10-12 08:30")
    broken("min_notice", owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00", now=now)
    assert create(owner, instrument, "2026-10-12 09:30", "2026-10-12 10:30", now=now).pk


def test_too_far_ahead_is_refused(instrument, owner):
    broken("too_far_ahead", owner, instrument, "2026-12-07 09:00", "2026-12-07 10:00")


def test_outside_opening_hours_is_refused(instrument, owner):
    broken("outside_opening_hours", owner, instrument, "2026-10-12 07:00", "2026-10-12 08:00")
    broken("outside_opening_hours", owner, instrument, "2026-10-12 17:30", "2026-10-12 18:30")
    broken("outside_opening_hours", owner, instrument, "2026-10-17 09:00", "2026-10-17 10:00")


def test_a_public_holiday_is_refused_by_name(instrument, owner):
    # 2026-10-01, a Thursday, is 国庆节: open by the weekly timetable, closed as a holiday.
    broken("holiday", owner, instrument, "2026-10-01 09:00", "2026-10-01 10:00")


def test_a_make_up_saturday_can_be_booked_in_mondays_hours(instrument, owner):
    # 2026-10-10 is a Saturday worked for 国庆 (调休); the instrument has no Saturday hours.
    booking = create(owner, instrument, "2026-10-10 09:00", "2026-10-10 10:00")
    assert booking.status == Booking.Status.APPROVED


def test_a_blackout_is_refused(instrument, owner):
    Blackout.objects.create(
        instrument=instrument,
        period=DateTimeTZRange(at("2026-10-12 09:30"), at("2026-10-12 12:00"), "[)"),
    )
    broken("blackout", owner, instrument)


def test_a_qualification_is_needed_and_must_not_have_expired(instrument, owner):
    instrument.booking_policy.qualification_required = True
    instrument.booking_policy.save()
    broken("qualification", owner, instrument)
    Qualification.objects.create(
        user=owner, instrument=instrument, valid_until=datetime.date(2026, 10, 11)
    )
    broken("qualification", owner, instrument)
    Qualification.objects.filter(user=owner).update(valid_until=datetime.date(2026, 10, 12))
    assert create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00").pk


def test_the_weekly_quota_counts_live_and_completed_bookings_of_the_iso_week(instrument, owner):
    instrument.booking_policy.weekly_quota_minutes = 120
    instrument.booking_policy.save()
    first = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    create(owner, instrument, "2026-10-14 09:00", "2026-10-14 10:00")
    broken("weekly_quota", owner, instrument, "2026-10-16 09:00", "2026-10-16 09:30")
    # The next ISO week (Monday 2026-10-19 in Shanghai) starts afresh.
    assert create(owner, instrument, "2026-10-19 09:00", "2026-10-19 11:00").pk
    # A cancelled booking gives its minutes back.
    services.booking_cancel(booking=first, by=owner, reason="改期", now=NOW)
    assert create(owner, instrument, "2026-10-16 09:00", "2026-10-16 10:00").pk


# --- What a booking records --------------------------------------------------------------------


def test_times_given_in_shanghai_are_stored_in_utc(instrument, owner):
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    booking.refresh_from_db()
    assert booking.period.lower == datetime.datetime(2026, 10, 12, 1, 0, tzinfo=datetime.UTC)
    assert booking.period.lower.utcoffset() == datetime.timedelta(0)


def test_an_automatic_instrument_approves_at_once_and_records_and_tells(instrument, owner, manager):
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    assert booking.status == Booking.Status.APPROVED
    transition = BookingTransition.objects.get(booking=booking)
    assert (transition.from_status, transition.to_status, transition.by) == ("", "approved", owner)
    kinds = set(
        Notification.objects.filter(about_type="booking", about_id=booking.pk).values_list(
            "kind", "user__username"
        )
    )
    assert kinds == {("requested", "manager"), ("approved", "owner")}


def test_an_instrument_that_needs_approval_leaves_the_request_waiting(manager, owner):
    instrument = instrument_with_rules(managers=[manager], approval_required=True)
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    assert booking.status == Booking.Status.REQUESTED


def test_buffer_is_blocked_after_the_booking(manager, owner, outsider):
    instrument = instrument_with_rules(managers=[manager], buffer_minutes=30)
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    assert booking.blocked.upper == at("2026-10-12 10:30")
    with pytest.raises(Conflict) as caught:
        create(outsider, instrument, "2026-10-12 10:00", "2026-10-12 11:00")
    assert caught.value.rule == "slot_taken"
    assert create(outsider, instrument, "2026-10-12 10:30", "2026-10-12 11:00").pk


def test_an_overlap_is_a_conflict_and_a_cancelled_booking_frees_the_slot(
    instrument, owner, outsider
):
    first = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    with pytest.raises(Conflict):
        create(outsider, instrument, "2026-10-12 09:30", "2026-10-12 10:30")
    services.booking_cancel(booking=first, by=owner, reason="", now=NOW)
    assert create(outsider, instrument, "2026-10-12 09:30", "2026-10-12 10:30").pk


def test_a_mianyang_researcher_books_a_beibei_instrument_at_the_cross_region_rate(
    instrument, researcher
):
    booking = create(researcher, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    assert booking.cross_region is True
    assert booking.rate_category == Booking.RateCategory.OTHER_REGION
    assert booking.hourly_rate == Decimal("150")
    assert booking.fee_estimate == Decimal("300.00")


def test_rates_follow_the_requesters_category(instrument, owner, outsider):
    firm = person("firm", organisation=OrganisationFactory(kind=Organisation.Kind.FIRM))
    own = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    same = create(outsider, instrument, "2026-10-12 10:00", "2026-10-12 11:00")
    business = create(firm, instrument, "2026-10-12 11:00", "2026-10-12 12:00")
    assert (own.rate_category, own.fee_estimate, own.cross_region) == ("internal", 50, False)
    assert (same.rate_category, same.fee_estimate) == ("same_region", 100)
    assert (business.rate_category, business.fee_estimate) == ("firm", 200)


# --- Approval queue -----------------------------------------------------------------------------


@pytest.fixture
def request_waiting(manager, researcher):
    instrument = instrument_with_rules(managers=[manager], approval_required=True)
    return create(researcher, instrument, "2026-10-12 09:00", "2026-10-12 10:00")


def test_only_the_instruments_managers_approve(request_waiting, researcher, outsider, manager):
    for somebody in (researcher, outsider):
        with pytest.raises(Forbidden):
            services.booking_approve(booking=request_waiting, by=somebody, reason="")
    booking = services.booking_approve(booking=request_waiting, by=manager, reason="同意")
    assert booking.status == Booking.Status.APPROVED
    last = booking.transitions.last()
    assert (last.from_status, last.to_status, last.by, last.reason) == (
        "requested",
        "approved",
        manager,
        "同意",
    )
    with pytest.raises(Conflict) as caught:
        services.booking_approve(booking=booking, by=manager, reason="")
    assert caught.value.rule == "wrong_status"


def test_an_administrator_may_reject_any_request(request_waiting):
    admin = person("admin", roles=[Role.ADMINISTRATOR])
    booking = services.booking_reject(booking=request_waiting, by=admin, reason="样品不符")
    assert booking.status == Booking.Status.REJECTED
    assert (
        Notification.objects.filter(
            about_type="booking", about_id=booking.pk, kind="rejected"
        ).count()
        == 1
    )


def test_a_manager_of_another_instrument_may_not_decide(request_waiting):
    other_manager = person("other_manager", roles=[Role.INSTRUMENT_MANAGER])
    instrument_with_rules(managers=[other_manager])
    with pytest.raises(Forbidden):
        services.booking_reject(booking=request_waiting, by=other_manager, reason="")


def test_a_manager_may_not_approve_their_own_request(manager):
    colleague = person("colleague", roles=[Role.INSTRUMENT_MANAGER])
    admin = person("admin", roles=[Role.ADMINISTRATOR])
    instrument = instrument_with_rules(managers=[manager, colleague], approval_required=True)
    own = create(manager, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    with pytest.raises(Forbidden) as caught:
        services.booking_approve(booking=own, by=manager, reason="")
    assert caught.value.rule == "self_approval"
    own.refresh_from_db()
    assert own.status == Booking.Status.REQUESTED
    assert not own.transitions.filter(to_status="approved").exists()
    assert services.booking_approve(booking=own, by=colleague).status == Booking.Status.APPROVED
    other = create(manager, instrument, "2026-10-12 10:00", "2026-10-12 11:00")
    assert services.booking_approve(booking=other, by=admin).status == Booking.Status.APPROVED


def test_an_administrator_may_not_approve_their_own_request_either(manager):
    admin = person("admin", roles=[Role.ADMINISTRATOR])
    instrument = instrument_with_rules(managers=[manager], approval_required=True)
    own = create(admin, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    with pytest.raises(Forbidden) as caught:
        services.booking_approve(booking=own, by=admin, reason="")
    assert caught.value.rule == "self_approval"
    assert services.booking_approve(booking=own, by=manager).status == Booking.Status.APPROVED


def test_a_manager_may_still_reject_their_own_request(manager):
    # Withdrawing one's own request gains nothing: the voucher comes back as on a cancel.
    instrument = instrument_with_rules(managers=[manager], approval_required=True)
    own = create(manager, instrument, "2026-10-12 09:00", "2026-10-12 10:00")
    assert services.booking_reject(booking=own, by=manager).status == Booking.Status.REJECTED


def test_only_the_requester_or_a_manager_cancels(request_waiting, outsider, researcher):
    with pytest.raises(Forbidden):
        services.booking_cancel(booking=request_waiting, by=outsider, reason="")
    booking = services.booking_cancel(booking=request_waiting, by=researcher, reason="不需要了")
    assert booking.status == Booking.Status.CANCELLED
    with pytest.raises(Conflict):
        services.booking_cancel(booking=booking, by=researcher, reason="")


# --- Check-in and check-out -----------------------------------------------------------------


def test_check_in_opens_fifteen_minutes_before_and_check_out_charges(instrument, researcher):
    booking = create(researcher, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    with pytest.raises(RuleBroken) as caught:
        services.booking_check_in(booking=booking, by=researcher, now=at("2026-10-12 08:44"))
    assert caught.value.rule == "too_early"
    booking = services.booking_check_in(booking=booking, by=researcher, now=at("2026-10-12 08:45"))
    assert booking.status == Booking.Status.CHECKED_IN
    booking = services.booking_check_out(booking=booking, by=researcher, now=at("2026-10-12 11:30"))
    assert booking.status == Booking.Status.COMPLETED
    assert booking.charge == Decimal("412.50")  # 08:45–11:30 used: 2.75 h at 150 元/h
    assert list(booking.transitions.values_list("to_status", flat=True)) == [
        "approved",
        "checked_in",
        "completed",
    ]


def test_leaving_early_still_pays_the_booked_time(instrument, researcher, manager):
    booking = create(researcher, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    services.booking_check_in(booking=booking, by=manager, now=at("2026-10-12 09:05"))
    booking = services.booking_check_out(booking=booking, by=manager, now=at("2026-10-12 10:00"))
    assert booking.charge == Decimal("300.00")


def test_check_out_needs_a_check_in(instrument, researcher):
    booking = create(researcher, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    with pytest.raises(Conflict):
        services.booking_check_out(booking=booking, by=researcher, now=at("2026-10-12 10:00"))


# --- Series -----------------------------------------------------------------------------------


def test_a_series_gives_a_result_per_week_when_one_week_is_taken(instrument, owner, researcher):
    create(owner, instrument, "2026-10-26 09:30", "2026-10-26 10:30")
    series, results = services.booking_series_create(
        requester=researcher,
        instrument=instrument,
        first_start=at("2026-10-12 09:00"),
        first_end=at("2026-10-12 10:00"),
        weeks=4,
        purpose="每周测试",
        now=NOW,
    )
    assert [day.isoformat() for day, _ in results] == [
        "2026-10-12",
        "2026-10-19",
        "2026-10-26",
        "2026-11-02",
    ]
    ok = [isinstance(outcome, Booking) for _, outcome in results]
    assert ok == [True, True, False, True]
    assert results[2][1]["rule"] == "slot_taken"
    assert series.bookings.count() == 3
    assert all(
        b.start.astimezone(at("2026-10-12 00:00").tzinfo).hour == 9 for b in series.bookings.all()
    )


# --- Waitlist ---------------------------------------------------------------------------------


def test_the_waitlist_is_told_once_when_the_slot_frees(instrument, owner, researcher, outsider):
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    entry = services.waitlist_join(
        user=researcher,
        instrument=instrument,
        start=at("2026-10-12 10:00"),
        end=at("2026-10-12 11:00"),
        now=NOW,
    )
    elsewhere = services.waitlist_join(
        user=outsider,
        instrument=instrument,
        start=at("2026-10-12 09:00"),
        end=at("2026-10-12 09:30"),
        now=NOW,
    )
    assert (
        services.waitlist_join(
            user=researcher,
            instrument=instrument,
            start=at("2026-10-12 10:00"),
            end=at("2026-10-12 11:00"),
            now=NOW,
        )
        == entry
    )
    services.booking_cancel(booking=booking, by=owner, reason="", now=NOW)
    entry.refresh_from_db()
    assert entry.notified_at is not None
    told = Notification.objects.filter(kind="waitlist")
    assert sorted(told.values_list("user__username", flat=True)) == ["outsider", "researcher"]
    assert told.get(user=researcher).about_id == entry.pk
    assert WaitlistEntry.objects.get(pk=elsewhere.pk).notified_at is not None


def test_the_waitlist_mail_is_the_sanitised_text(instrument, owner, researcher):
    # The instrument's name is the manager's text: a CR/LF or a control character in it must
    # not forge a line in the mail, whichever path sends it.
    from sharing.bookings.notify_texts import render_waitlist

    Instrument.objects.filter(pk=instrument.pk).update(
        name="扫描电镜\r\nBcc: victim@example.com\x07"
    )
    instrument.refresh_from_db()
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    entry = services.waitlist_join(
        user=researcher,
        instrument=instrument,
        start=at("2026-10-12 10:00"),
        end=at("2026-10-12 11:00"),
        now=NOW,
    )
    services.booking_cancel(booking=booking, by=owner, reason="", now=NOW)
    note = Notification.objects.get(kind="waitlist", user=researcher)
    entry.refresh_from_db()
    assert (note.subject, note.body) == render_waitlist(entry=entry)
    assert not any(line.startswith("Bcc:") for line in note.body.splitlines())
    assert "\x07" not in note.body and "\r" not in note.body


def test_the_waitlist_is_for_taken_time_only(instrument, researcher):
    with pytest.raises(RuleBroken) as caught:
        services.waitlist_join(
            user=researcher,
            instrument=instrument,
            start=at("2026-10-12 10:00"),
            end=at("2026-10-12 11:00"),
            now=NOW,
        )
    assert caught.value.rule == "slot_free"


@pytest.mark.parametrize("years", [0.3, 50, 100])
def test_the_waitlist_reaches_no_further_ahead_than_bookings(instrument, owner, researcher, years):
    # The instrument's horizon is 90 days: a wait that runs past it is refused like a booking,
    # however much of it a live booking overlaps.
    create(owner, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    with pytest.raises(RuleBroken) as caught:
        services.waitlist_join(
            user=researcher,
            instrument=instrument,
            start=at("2026-10-12 10:00"),
            end=NOW + datetime.timedelta(days=round(365.25 * years)),
            now=NOW,
        )
    assert caught.value.rule == "too_far_ahead"
    assert not WaitlistEntry.objects.exists()


def test_nobody_waits_for_an_instrument_they_may_not_use(instrument, researcher):
    instrument.sharing_mode = Instrument.SharingMode.INTERNAL
    instrument.save(update_fields=["sharing_mode"])
    with pytest.raises(RuleBroken) as caught:
        services.waitlist_join(
            user=researcher,
            instrument=instrument,
            start=at("2026-10-12 10:00"),
            end=at("2026-10-12 11:00"),
            now=NOW,
        )
    assert caught.value.rule == "not_shareable"


# --- Sweeps -----------------------------------------------------------------------------------


def test_an_unanswered_request_expires_once_however_often_the_sweep_runs(request_waiting, settings):
    settings.BOOKING_REQUEST_EXPIRY_MINUTES = 60
    later = request_waiting.created_at + datetime.timedelta(minutes=61)
    assert services.sweep_expired_requests(now=later - datetime.timedelta(minutes=2)) == 0
    assert services.sweep_expired_requests(now=later) == 1
    assert services.sweep_expired_requests(now=later) == 0
    request_waiting.refresh_from_db()
    assert request_waiting.status == Booking.Status.EXPIRED
    assert request_waiting.transitions.filter(to_status="expired").count() == 1
    assert (
        Notification.objects.filter(
            about_type="booking", about_id=request_waiting.pk, kind="expired"
        ).count()
        == 1
    )


def test_no_check_in_after_the_start_is_a_no_show_and_frees_the_slot(
    instrument, owner, outsider, settings
):
    settings.BOOKING_NO_SHOW_MINUTES = 15
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    assert services.sweep_no_shows(now=at("2026-10-12 09:14")) == 0
    assert services.sweep_no_shows(now=at("2026-10-12 09:16")) == 1
    assert services.sweep_no_shows(now=at("2026-10-12 09:20")) == 0
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW
    assert booking.transitions.filter(to_status="no_show").count() == 1
    assert (
        Notification.objects.filter(
            about_type="booking", about_id=booking.pk, kind="no_show"
        ).count()
        == 1
    )
    later = at("2026-10-12 09:00")
    assert create(outsider, instrument, "2026-10-12 10:00", "2026-10-12 11:00", now=later).pk


def test_a_checked_in_booking_is_not_a_no_show(instrument, owner):
    booking = create(owner, instrument, "2026-10-12 09:00", "2026-10-12 11:00")
    services.booking_check_in(booking=booking, by=owner, now=at("2026-10-12 09:10"))
    assert services.sweep_no_shows(now=at("2026-10-12 10:00")) == 0


# --- Vouchers (the voucher service is another module's; here only that bookings use it) ----------


def test_a_voucher_pays_part_of_a_cross_region_booking_and_comes_back_on_cancel(
    instrument, researcher, settings
):
    from sharing.bookings.vouchers.services import voucher_issue

    settings.VOUCHER_MAX_SHARE = Decimal("0.5")
    bb, my = regions()
    voucher = voucher_issue(
        issuing_region=my,
        organisation=researcher.organisation,
        amount=Decimal("1000.00"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
        accepted_in=[my, bb],
    )
    booking = create(
        researcher, instrument, "2026-10-12 09:00", "2026-10-12 11:00", voucher=voucher
    )
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("850.00")  # half of 300
    services.booking_cancel(booking=booking, by=researcher, reason="", now=NOW)
    voucher.refresh_from_db()
    assert voucher.balance == Decimal("1000.00")

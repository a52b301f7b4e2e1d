"""Innovation vouchers: issue, reserve under every rule, redeem on the final charge, release
once, and no overdraft ever."""

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction

from portal.accounts.models import Organisation, Role
from portal.errors import Forbidden, NotFound, RuleBroken
from sharing.bookings.models import Booking, Voucher, VoucherEntry
from sharing.bookings.vouchers.ledger import (
    voucher_balance_check,
    voucher_redeem,
    voucher_release,
    voucher_reserve,
)
from sharing.bookings.vouchers.selectors import voucher_get, voucher_list, voucher_usable
from sharing.bookings.vouchers.services import voucher_issue
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(day: str, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CHINA)


def make_booking(instrument, requester, start, *, hours=2, fee="200.00", status="approved"):
    end = start + datetime.timedelta(hours=hours)
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(start, end),
        blocked=(start, end),
        status=status,
        purpose="测试",
        rate_category=Booking.RateCategory.SAME_REGION,
        hourly_rate=D(fee) / hours,
        fee_estimate=D(fee),
    )
    booking.refresh_from_db()  # period back as a DateTimeTZRange, as the services read it
    return booking


def issue(org, *, amount="1000.00", region=None, accepted=None, until="2026-12-31", **kw):
    region = region or beibei()
    return voucher_issue(
        issuing_region=region,
        organisation=org,
        amount=D(amount),
        valid_from=kw.pop("valid_from", datetime.date(2026, 1, 1)),
        valid_until=datetime.date.fromisoformat(until),
        accepted_in=accepted if accepted is not None else [region],
        **kw,
    )


@pytest.fixture
def lab(db):
    """A Beibei university researcher and an instrument of another Beibei organisation."""
    org = OrganisationFactory(region=beibei())
    researcher = UserFactory(organisation=org)
    instrument = InstrumentFactory(organisation=OrganisationFactory(region=beibei()))
    return org, researcher, instrument


def rule_of(excinfo) -> str:
    return excinfo.value.rule


# --- Issue ------------------------------------------------------------------------------------


def test_an_issued_voucher_starts_with_its_whole_amount_as_balance(lab):
    org, _r, _i = lab
    voucher = issue(org, amount="5000.00", accepted=[beibei(), mianyang()])
    assert voucher.balance == voucher.amount == D("5000.00")
    assert set(voucher.accepted_in.values_list("code", flat=True)) == {"beibei", "mianyang"}
    assert voucher.code.startswith("500109-2026-")


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"amount": "0"}, "voucher_amount"),
        ({"amount": "-5"}, "voucher_amount"),
        ({"amount": "1.005"}, "voucher_amount"),
        ({"until": "2025-12-31"}, "voucher_validity_order"),
        ({"accepted": []}, "voucher_accepted_nowhere"),
    ],
)
def test_issuing_a_voucher_refuses_nonsense(lab, kwargs, rule):
    org, _r, _i = lab
    with pytest.raises(RuleBroken) as excinfo:
        issue(org, **kwargs)
    assert rule_of(excinfo) == rule


# --- Reserve: the rules ------------------------------------------------------------------------


def test_a_voucher_covers_at_most_half_the_fee_by_default(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="300.00")
    entry = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert entry.kind == VoucherEntry.Kind.RESERVATION
    assert entry.amount == D("150.00")
    voucher.refresh_from_db()
    assert voucher.balance == D("850.00")


def test_the_covered_share_is_a_setting_and_rounds_down_to_the_cent(lab, settings):
    settings.VOUCHER_MAX_SHARE = D("0.3")
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="100.05")
    entry = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert entry.amount == D("30.01")  # 30.015 rounded down: never above the share


def test_a_voucher_covers_no_more_than_its_balance(lab):
    org, researcher, instrument = lab
    voucher = issue(org, amount="40.00")
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="300.00")
    entry = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert entry.amount == D("40.00")
    voucher.refresh_from_db()
    assert voucher.balance == 0


def test_an_empty_voucher_is_refused(lab):
    org, researcher, instrument = lab
    voucher = issue(org, amount="40.00")
    first = make_booking(instrument, researcher, at("2026-03-02"))
    second = make_booking(instrument, researcher, at("2026-03-03"))
    voucher_reserve(voucher=voucher, booking=first, by=researcher)
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=second, by=researcher)
    assert rule_of(excinfo) == "voucher_empty"


def test_a_free_booking_has_nothing_for_a_voucher_to_cover(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="0.00")
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert rule_of(excinfo) == "voucher_nothing_to_cover"
    assert not VoucherEntry.objects.exists()


def test_a_voucher_of_another_organisation_is_refused(lab):
    _org, researcher, instrument = lab
    voucher = issue(OrganisationFactory(region=beibei()))
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert rule_of(excinfo) == "voucher_not_yours"


def test_only_the_requester_or_an_administrator_may_spend_a_voucher_on_a_booking(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    colleague = UserFactory(organisation=org)
    with pytest.raises(Forbidden):
        voucher_reserve(voucher=voucher, booking=booking, by=colleague)
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    assert voucher_reserve(voucher=voucher, booking=booking, by=admin).amount == D("100.00")


@pytest.mark.parametrize("status", ["cancelled", "rejected", "expired", "no_show"])
def test_a_booking_that_ended_without_use_takes_no_voucher(lab, status):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), status=status)
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert rule_of(excinfo) == "voucher_booking_closed"


def test_a_booking_is_paid_with_one_voucher_at_most(lab):
    org, researcher, instrument = lab
    first, second = issue(org), issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    voucher_reserve(voucher=first, booking=booking, by=researcher)
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=second, booking=booking, by=researcher)
    assert rule_of(excinfo) == "voucher_one_per_booking"


def test_reserving_twice_for_one_booking_returns_the_first_entry(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    first = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    again = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert again.pk == first.pk
    voucher.refresh_from_db()
    assert voucher.balance == D("900.00")
    assert VoucherEntry.objects.count() == 1


# --- Validity in Asia/Shanghai ----------------------------------------------------------------


def test_validity_is_judged_on_the_booking_date_in_china(lab):
    org, researcher, instrument = lab
    voucher = issue(org, valid_from=datetime.date(2026, 3, 2), until="2026-03-31")
    # 00:30 on 2 March in Beijing is still 1 March in UTC: valid.
    early = make_booking(instrument, researcher, at("2026-03-02", 0, 30))
    assert early.start.astimezone(datetime.UTC).date() == datetime.date(2026, 3, 1)
    voucher_reserve(voucher=voucher, booking=early, by=researcher)
    # 23:30 on 31 March in Beijing: the last valid day.
    late = make_booking(instrument, researcher, at("2026-03-31", 23, 0), hours=1)
    voucher_reserve(voucher=voucher, booking=late, by=researcher)


@pytest.mark.parametrize("day", ["2026-03-01", "2026-04-01"])
def test_a_voucher_outside_its_validity_is_refused(lab, day):
    org, researcher, instrument = lab
    voucher = issue(org, valid_from=datetime.date(2026, 3, 2), until="2026-03-31")
    booking = make_booking(instrument, researcher, at(day, 10))
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert rule_of(excinfo) == "voucher_expired"


# --- Across regions (通用通兑) --------------------------------------------------------------------


@pytest.fixture
def mianyang_instrument(db):
    return InstrumentFactory(organisation=OrganisationFactory(region=mianyang()))


def test_a_beibei_voucher_accepted_in_both_regions_pays_on_a_mianyang_instrument(
    lab, mianyang_instrument
):
    org, researcher, _i = lab
    voucher = issue(org, region=beibei(), accepted=[beibei(), mianyang()])
    booking = make_booking(mianyang_instrument, researcher, at("2026-03-02"), fee="400.00")
    entry = voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert entry.amount == D("200.00")
    assert list(
        voucher_usable(user=researcher, instrument=mianyang_instrument, start=booking.start)
    ) == [voucher]


def test_a_voucher_accepted_only_in_beibei_is_refused_on_a_mianyang_instrument(
    lab, mianyang_instrument
):
    org, researcher, _i = lab
    voucher = issue(org, region=beibei(), accepted=[beibei()])
    booking = make_booking(mianyang_instrument, researcher, at("2026-03-02"))
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    assert rule_of(excinfo) == "voucher_not_accepted_here"
    assert not voucher_usable(
        user=researcher, instrument=mianyang_instrument, start=booking.start
    ).exists()


# --- Refund -----------------------------------------------------------------------------------


def test_cancelling_gives_the_reserved_amount_back_once(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="300.00")
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    Booking.objects.filter(pk=booking.pk).update(status="cancelled")

    refund = voucher_release(booking=booking)
    assert refund.kind == VoucherEntry.Kind.RELEASE and refund.amount == D("150.00")
    again = voucher_release(booking=booking)
    assert again.pk == refund.pk
    voucher.refresh_from_db()
    assert voucher.balance == D("1000.00")
    assert VoucherEntry.objects.filter(kind="release").count() == 1
    assert voucher_balance_check(voucher).consistent


# --- Cancelling after the start: the no-show rule is not sidestepped ---------------------------


@pytest.fixture
def spent(lab):
    """An approved booking on 2026-03-02 09:00–11:00 whose fee (300) half a voucher paid."""
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="300.00")
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    voucher.refresh_from_db()
    assert voucher.balance == D("850.00")
    return booking, voucher


def balance(voucher) -> Decimal:
    voucher.refresh_from_db()
    return voucher.balance


def test_the_requester_cannot_cancel_after_the_start_and_a_no_show_releases_the_voucher(lab, spent):
    from portal.errors import Conflict
    from sharing.bookings import services

    _org, researcher, _instrument = lab
    booking, voucher = spent
    with pytest.raises(Conflict) as excinfo:
        services.booking_cancel(booking=booking, by=researcher, now=at("2026-03-02", 9, 5))
    assert rule_of(excinfo) == "already_started"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.APPROVED
    assert balance(voucher) == D("850.00")
    # What happens instead is the no-show: nothing was used, so the reservation goes back
    # (nothing may be redeemed, nor settled, for a service not completed).
    assert services.sweep_no_shows(now=at("2026-03-02", 9, 30)) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW
    assert balance(voucher) == D("1000.00")
    assert VoucherEntry.objects.filter(kind="release").count() == 1
    assert not VoucherEntry.objects.filter(kind="redemption").exists()
    assert voucher_balance_check(voucher).consistent


def test_the_requester_cancelling_before_the_start_gets_the_voucher_back(lab, spent):
    from sharing.bookings import services

    _org, researcher, _instrument = lab
    booking, voucher = spent
    services.booking_cancel(booking=booking, by=researcher, now=at("2026-03-02", 8, 59))
    assert balance(voucher) == D("1000.00")


def test_a_manager_cancelling_after_the_start_refunds_the_voucher(lab, spent):
    # The instrument broke down: the requester did not miss the time, the instrument did.
    from sharing.bookings import services

    _org, _researcher, instrument = lab
    booking, voucher = spent
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER])
    instrument.managers.add(manager)
    cancelled = services.booking_cancel(
        booking=booking, by=manager, reason="仪器故障", now=at("2026-03-02", 9, 30)
    )
    assert cancelled.status == Booking.Status.CANCELLED
    assert balance(voucher) == D("1000.00")


def test_a_manager_who_booked_cannot_cancel_their_own_booking_after_the_start(lab, spent):
    from portal.errors import Conflict
    from sharing.bookings import services

    _org, researcher, instrument = lab
    booking, voucher = spent
    instrument.managers.add(researcher)
    with pytest.raises(Conflict) as excinfo:
        services.booking_cancel(booking=booking, by=researcher, now=at("2026-03-02", 9, 5))
    assert rule_of(excinfo) == "already_started"
    assert balance(voucher) == D("850.00")


def test_a_request_never_approved_may_still_be_withdrawn_after_its_start(lab):
    # It never held the time (an unanswered request expires with a refund just the same).
    from sharing.bookings import services

    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), status="requested")
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    services.booking_cancel(booking=booking, by=researcher, now=at("2026-03-02", 9, 30))
    assert balance(voucher) == D("1000.00")


def test_api_cancelling_a_started_booking_is_409_naming_the_rule(lab, api):
    org, researcher, instrument = lab
    voucher = issue(org, valid_from=datetime.date(2000, 1, 1), until="2099-12-31")
    start = datetime.datetime.now(CHINA) - datetime.timedelta(minutes=5)
    booking = make_booking(instrument, researcher, start, fee="300.00")
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    api.force_authenticate(researcher)
    response = api.post(f"/api/bookings/{booking.pk}/cancel", {}, format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert (error["code"], error["rule"]) == ("conflict", "already_started")
    assert error["message"]
    assert balance(voucher) == D("850.00")


def test_refunding_a_booking_paid_without_a_voucher_does_nothing(lab):
    _org, researcher, instrument = lab
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    assert voucher_release(booking=booking) is None


def test_the_ledger_explains_the_balance(lab):
    org, researcher, instrument = lab
    voucher = issue(org, amount="500.00")
    bookings = [
        make_booking(instrument, researcher, at(f"2026-03-0{d}"), fee="120.00") for d in (2, 3, 4)
    ]
    for booking in bookings:
        voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    voucher_release(booking=bookings[1])
    check = voucher_balance_check(voucher)
    assert check.recorded == check.from_ledger == D("380.00")
    assert check.consistent


def test_completing_redeems_on_the_final_charge_and_releases_the_rest(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"), fee="300.00")
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    Booking.objects.filter(pk=booking.pk).update(status="completed", charge=D("200.00"))

    entry = voucher_redeem(booking=booking)
    assert (entry.kind, entry.amount) == (VoucherEntry.Kind.REDEMPTION, D("100.00"))
    assert voucher_redeem(booking=booking).pk == entry.pk
    voucher.refresh_from_db()
    assert (voucher.reserved, voucher.redeemed, voucher.balance) == (0, D("100.00"), D("900.00"))
    assert VoucherEntry.objects.get(kind="release").amount == D("50.00")
    assert voucher_balance_check(voucher).consistent
    assert voucher_release(booking=booking).amount == D("50.00")  # nothing more goes back


def test_a_booking_not_completed_redeems_nothing(lab):
    org, researcher, instrument = lab
    voucher = issue(org)
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    voucher_reserve(voucher=voucher, booking=booking, by=researcher)
    with pytest.raises(RuleBroken) as excinfo:
        voucher_redeem(booking=booking)
    assert rule_of(excinfo) == "voucher_not_completed"
    assert not VoucherEntry.objects.filter(kind="redemption").exists()


# --- The database's word ----------------------------------------------------------------------


def test_the_database_refuses_an_overdraft_even_when_the_service_is_bypassed(lab):
    org, _r, _i = lab
    voucher = issue(org, amount="100.00")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_voucher SET balance = balance - 100.01 WHERE id = %s",
            [voucher.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(balance=D("100.01"))
    voucher.refresh_from_db()
    assert voucher.balance == D("100.00")


# --- Concurrency: real threads, real connections ----------------------------------------------

THREADS = 32


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_overdraw_a_voucher():
    org = OrganisationFactory(region=beibei(), kind=Organisation.Kind.UNIVERSITY)
    researcher = UserFactory(organisation=org)
    instrument = InstrumentFactory(organisation=OrganisationFactory(region=beibei()))
    # Each booking asks for 50.00 (half of 100.00); 520.00 covers ten in full and one in part.
    voucher = issue(org, amount="520.00")
    bookings = [
        make_booking(
            instrument, researcher, at("2026-03-02") + datetime.timedelta(hours=2 * n), fee="100.00"
        )
        for n in range(THREADS)
    ]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend(booking):
        try:
            barrier.wait(timeout=30)
            try:
                voucher_reserve(voucher=voucher, booking=booking, by=researcher)
                result = "ok"
            except RuleBroken as exc:
                result = exc.rule
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend, args=(b,)) for b in bookings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == THREADS
    voucher.refresh_from_db()
    entries = list(VoucherEntry.objects.filter(voucher=voucher))
    assert voucher.balance == 0
    assert sum(e.amount for e in entries) == voucher.amount - voucher.balance == voucher.reserved
    assert outcomes.count("ok") == len(entries) == 11
    assert outcomes.count("voucher_empty") == THREADS - 11
    assert sorted(e.amount for e in entries)[0] == D("20.00")
    assert voucher_balance_check(voucher).consistent


# --- Selectors and API ------------------------------------------------------------------------


def test_people_see_their_organisations_vouchers_and_coordinators_see_all(lab):
    org, researcher, instrument = lab
    mine = issue(org)
    theirs = issue(OrganisationFactory(region=mianyang()), region=mianyang())
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    voucher_reserve(voucher=mine, booking=booking, by=researcher)

    listed = list(voucher_list(user=researcher))
    assert listed == [mine]
    assert listed[0].reserved == D("100.00") and listed[0].redeemed == D("0.00")
    assert listed[0].entry_count == 1
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    assert set(voucher_list(user=coordinator)) == {mine, theirs}
    with pytest.raises(NotFound):
        voucher_get(pk=theirs.pk, user=researcher)


def test_api_lists_my_organisations_vouchers_with_totals(lab, api):
    org, researcher, instrument = lab
    mine = issue(org, accepted=[beibei(), mianyang()])
    issue(OrganisationFactory())
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    voucher_reserve(voucher=mine, booking=booking, by=researcher)
    api.force_authenticate(researcher)

    body = api.get("/api/vouchers/").json()
    assert [v["code"] for v in body["results"]] == [mine.code]
    row = body["results"][0]
    assert row["balance"] == "900.00" and row["reserved"] == "100.00"
    assert row["redeemed"] == "0.00" and row["settled"] == "0.00"
    assert row["refunded"] == "0.00" and row["entry_count"] == 1
    assert {r["code"] for r in row["accepted_in"]} == {"beibei", "mianyang"}


def test_api_shows_a_vouchers_ledger_and_hides_others_vouchers(lab, api):
    org, researcher, instrument = lab
    mine = issue(org)
    theirs = issue(OrganisationFactory())
    booking = make_booking(instrument, researcher, at("2026-03-02"))
    voucher_reserve(voucher=mine, booking=booking, by=researcher)
    voucher_release(booking=booking)
    api.force_authenticate(researcher)

    body = api.get(f"/api/vouchers/{mine.pk}/").json()
    assert [(e["kind"], e["amount"]) for e in body["ledger"]] == [
        ("reservation", "100.00"),
        ("release", "100.00"),
    ]
    assert body["ledger"][0]["instrument"]["id"] == instrument.pk
    missing = api.get(f"/api/vouchers/{theirs.pk}/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_api_vouchers_need_a_signed_in_user(db, api):
    response = api.get("/api/vouchers/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()

"""Vouchers from application to settlement: a Mianyang firm applies, Mianyang's coordinator
issues, the firm uses it at 西南大学 in Beibei, the booking completes, 西南大学 asks Mianyang to
pay, the coordinator approves and pays; the dashboard's flow and vouchers_reconcile agree.
Bad input is refused whole; racing settlement requests: one wins, the others 409."""

import datetime
import threading
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, connections

from portal.accounts.models import Organisation, Role
from portal.errors import Conflict, RuleBroken
from sharing.bookings import services
from sharing.bookings.models import (
    Booking,
    SettlementLine,
    SettlementRequest,
    Voucher,
    VoucherApplication,
    VoucherEntry,
)
from sharing.bookings.vouchers.ledger import (
    ledger_differences,
    voucher_balance_check,
    voucher_reserve,
)
from sharing.bookings.vouchers.selectors import voucher_flows
from sharing.bookings.vouchers.services import voucher_issue
from sharing.bookings.vouchers.settlement import (
    settlement_line_decide,
    settlement_mark_paid,
    settlement_request_create,
)
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal
DAY = datetime.date(2026, 3, 2)


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=CHINA)


def checked_in_booking(instrument, requester, start, *, fee="400.00", hours=2):
    end = start + datetime.timedelta(hours=hours)
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(start, end),
        blocked=(start, end),
        status=Booking.Status.APPROVED,
        purpose="检测",
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=D(fee) / hours,
        fee_estimate=D(fee),
        cross_region=True,
    )
    booking.refresh_from_db()
    return booking


def complete(booking, by):
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.CHECKED_IN, checked_in_at=booking.start
    )
    booking.refresh_from_db()
    return services.booking_check_out(booking=booking, by=by, now=booking.end)


class World:
    pass


@pytest.fixture
def w(db):
    """A Mianyang firm, Mianyang's coordinator, 西南大学 in Beibei with an instrument and its
    manager, and Beibei's coordinator."""
    x = World()
    x.my, x.bb = mianyang(), beibei()
    x.firm_org = OrganisationFactory(
        name="绵阳某科技公司", region=x.my, kind=Organisation.Kind.FIRM
    )
    x.firm = UserFactory(username="firm", organisation=x.firm_org, roles=[Role.FIRM])
    x.coord_my = UserFactory(
        username="coord_my", organisation=OrganisationFactory(region=x.my), roles=[Role.COORDINATOR]
    )
    x.coord_bb = UserFactory(
        username="coord_bb", organisation=OrganisationFactory(region=x.bb), roles=[Role.COORDINATOR]
    )
    x.swu = OrganisationFactory(name="西南大学", region=x.bb)
    x.manager = UserFactory(username="manager", organisation=x.swu, roles=[Role.INSTRUMENT_MANAGER])
    x.instrument = InstrumentFactory(organisation=x.swu)
    x.instrument.managers.add(x.manager)
    x.outsider = UserFactory(username="outsider", roles=[Role.RESEARCHER])
    return x


def issued(w, amount="1000.00", accepted=None):
    return voucher_issue(
        issuing_region=w.my,
        organisation=w.firm_org,
        amount=D(amount),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
        accepted_in=accepted or [w.my, w.bb],
    )


# --- The journey ------------------------------------------------------------------------------


def test_a_mianyang_voucher_spent_at_swu_is_paid_by_mianyang_and_the_ledger_closes(w, api, client):
    api.force_authenticate(w.firm)
    made = api.post(
        "/api/vouchers/applications/",
        {"issuing_region": "mianyang", "purpose": "委托西南大学做材料检测", "amount": "2000.00"},
        format="json",
    )
    assert made.status_code == 201, made.content
    application = made.json()
    assert application["status"] == "submitted"

    # Beibei's coordinator does not decide Mianyang's applications; Mianyang's does.
    api.force_authenticate(w.coord_bb)
    assert (
        api.post(f"/api/vouchers/applications/{application['id']}/approve/", {}).status_code == 404
    )
    api.force_authenticate(w.coord_my)
    approved = api.post(
        f"/api/vouchers/applications/{application['id']}/approve/",
        {
            "amount": "1500.00",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "accepted_in": ["mianyang", "beibei"],
        },
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    voucher = Voucher.objects.get(code=approved.json()["voucher"])
    assert (voucher.amount, voucher.issuing_region, voucher.organisation) == (
        D("1500.00"),
        w.my,
        w.firm_org,
    )
    assert voucher.code.startswith("510700-2026-")

    # The firm books at 西南大学 with it: half of the estimate is reserved.
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    voucher.refresh_from_db()
    assert (voucher.reserved, voucher.redeemed, voucher.balance) == (D("200"), 0, D("1300"))
    # Completed: redeemed on the final charge.
    complete(booking, w.firm)
    voucher.refresh_from_db()
    assert (voucher.reserved, voucher.redeemed, voucher.balance) == (0, D("200"), D("1300"))

    # 西南大学 asks Mianyang for settlement.
    api.force_authenticate(w.manager)
    asked = api.post(
        "/api/vouchers/settlements/",
        {"issuing_region": "mianyang", "period_from": "2026-03-01", "period_until": "2026-03-31"},
        format="json",
    )
    assert asked.status_code == 201, asked.content
    request = asked.json()
    assert request["total"] == "200.00" and len(request["lines"]) == 1
    line = request["lines"][0]
    assert (line["voucher"], line["booking"]) == (voucher.code, booking.pk)
    # Asking again for the same period: nothing left to ask for.
    again = api.post(
        "/api/vouchers/settlements/",
        {"issuing_region": "mianyang", "period_from": "2026-03-01", "period_until": "2026-03-31"},
        format="json",
    )
    assert again.status_code == 400 and again.json()["error"]["rule"] == "settlement_nothing"

    # The provider may not decide its own request; Mianyang's coordinator does.
    base = f"/api/vouchers/settlements/{request['id']}"
    assert api.post(f"{base}/lines/{line['id']}/approve/").status_code == 403
    api.force_authenticate(w.coord_my)
    assert api.post(f"{base}/paid/").json()["error"]["rule"] == "settlement_undecided"
    decided = api.post(f"{base}/lines/{line['id']}/approve/")
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    paid = api.post(f"{base}/paid/")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert api.post(f"{base}/paid/").status_code == 409
    voucher.refresh_from_db()
    assert voucher.settled == D("200.00")

    # The ledger per authority and provider, and the dashboard's flow Mianyang → Beibei.
    ledger = api.get("/api/vouchers/ledger/?region=mianyang&from=2026-01-01&to=2026-12-31")
    assert ledger.status_code == 200
    assert ledger.json() == [
        {
            "issuing_region": "mianyang",
            "spent_region": "beibei",
            "provider": {"id": w.swu.pk, "name": "西南大学"},
            "reserved": "0.00",
            "redeemed": "200.00",
            "settled": "200.00",
            "paid": "200.00",
        }
    ]
    flow = {(r["issuing_region"], r["spent_region"]): r for r in voucher_flows(year=2026)}
    assert flow[("mianyang", "beibei")]["paid"] == D("200.00")
    client.force_login(w.coord_my)
    page = client.get("/dashboard/?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index('data-voucher-flow="mianyang-beibei"') :]
    assert row.index("200.00") < row.index("</tr>")

    out = StringIO()
    call_command("vouchers_reconcile", stdout=out)
    assert "agree" in out.getvalue()

    # Tampering with a ledger row is found and named.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bookings_voucherentry SET amount = amount + 1 WHERE kind = 'redemption'"
        )
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("vouchers_reconcile", stdout=out, stderr=StringIO())
    assert exit_.value.code == 1
    assert f"voucher {voucher.code}: redeemed recorded 200.00, ledger 201.00" in out.getvalue()


def test_a_changed_settlement_total_is_named_by_reconcile(w):
    voucher = issued(w)
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    complete(booking, w.firm)
    request = settlement_request_create(
        provider=w.swu, issuing_region=w.my, period_from=DAY, period_until=DAY, by=w.manager
    )
    assert ledger_differences() == []
    SettlementRequest.objects.filter(pk=request.pk).update(total=D("1.00"))
    assert ledger_differences() == [
        f"settlement request #{request.pk}: total recorded 1.00, lines 200.00"
    ]


# --- Lifecycle rules --------------------------------------------------------------------------


def test_a_cancelled_booking_releases_its_reservation_and_leaves_nothing_to_settle(w):
    voucher = issued(w)
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    services.booking_cancel(booking=booking, by=w.firm, now=at(DAY, 8))
    voucher.refresh_from_db()
    assert (voucher.reserved, voucher.redeemed, voucher.balance) == (0, 0, D("1000"))
    with pytest.raises(RuleBroken) as excinfo:
        settlement_request_create(
            provider=w.swu, issuing_region=w.my, period_from=DAY, period_until=DAY, by=w.manager
        )
    assert excinfo.value.rule == "settlement_nothing"


def test_a_forgotten_check_out_redeems_on_the_booked_charge(w):
    voucher = issued(w)
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    Booking.objects.filter(pk=booking.pk).update(status="checked_in", checked_in_at=booking.start)
    assert services.sweep_forgotten_check_outs(now=at(DAY, 18)) == 1
    voucher.refresh_from_db()
    assert (voucher.reserved, voucher.redeemed) == (0, D("200.00"))


def test_only_a_region_of_the_other_authority_is_not_asked(w):
    """A Beibei-issued voucher spent at 西南大学 is not in a request to Mianyang."""
    other = voucher_issue(
        issuing_region=w.bb,
        organisation=w.firm_org,
        amount=D("500"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
        accepted_in=[w.bb],
    )
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    voucher_reserve(voucher=other, booking=booking, by=w.firm)
    complete(booking, w.firm)
    with pytest.raises(RuleBroken):
        settlement_request_create(
            provider=w.swu, issuing_region=w.my, period_from=DAY, period_until=DAY, by=w.manager
        )
    made = settlement_request_create(
        provider=w.swu, issuing_region=w.bb, period_from=DAY, period_until=DAY, by=w.manager
    )
    assert made.total == D("200.00")


def test_a_rejected_line_needs_a_reason_and_may_be_asked_for_again(w, api):
    voucher = issued(w)
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    complete(booking, w.firm)
    request = settlement_request_create(
        provider=w.swu, issuing_region=w.my, period_from=DAY, period_until=DAY, by=w.manager
    )
    line = request.lines.get()
    api.force_authenticate(w.coord_my)
    url = f"/api/vouchers/settlements/{request.pk}/lines/{line.pk}/reject/"
    assert api.post(url, {"reason": ""}, format="json").status_code == 400
    assert api.post(url, {"reason": "无服务记录"}, format="json").status_code == 200
    request.refresh_from_db()
    assert (request.status, request.total) == ("decided", 0)
    settlement_mark_paid(request=request, by=w.coord_my)
    voucher.refresh_from_db()
    assert voucher.settled == 0
    again = settlement_request_create(
        provider=w.swu, issuing_region=w.my, period_from=DAY, period_until=DAY, by=w.manager
    )
    assert again.lines.get().entry_id == line.entry_id


# --- Bad input: a clear 4xx, nothing half-written ---------------------------------------------


def test_an_expired_voucher_is_refused_when_booking_and_nothing_is_written(w):
    voucher = voucher_issue(
        issuing_region=w.my,
        organisation=w.firm_org,
        amount=D("500"),
        valid_from=datetime.date(2025, 1, 1),
        valid_until=datetime.date(2025, 12, 31),
        accepted_in=[w.my, w.bb],
    )
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    assert excinfo.value.rule == "voucher_expired"
    assert not VoucherEntry.objects.exists()
    voucher.refresh_from_db()
    assert (voucher.reserved, voucher.balance) == (0, D("500"))


def test_a_voucher_out_of_scope_is_refused(w):
    voucher = issued(w, accepted=[w.my])
    booking = checked_in_booking(w.instrument, w.firm, at(DAY))
    with pytest.raises(RuleBroken) as excinfo:
        voucher_reserve(voucher=voucher, booking=booking, by=w.firm)
    assert excinfo.value.rule == "voucher_not_accepted_here"
    assert not VoucherEntry.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"issuing_region": "nowhere", "purpose": "检测", "amount": "100"},
        {"issuing_region": "mianyang", "purpose": "检测", "amount": "-1"},
        {"issuing_region": "mianyang", "purpose": "检测", "amount": "1.005"},
        {"issuing_region": "mianyang", "purpose": "   ", "amount": "100"},
        {"issuing_region": "mianyang", "amount": "100"},
    ],
)
def test_a_bad_application_is_400_and_nothing_is_written(w, api, body):
    api.force_authenticate(w.firm)
    response = api.post("/api/vouchers/applications/", body, format="json")
    assert response.status_code == 400, response.content
    assert "error" in response.json()
    assert not VoucherApplication.objects.exists()


def test_an_application_is_decided_once_and_a_bad_approval_issues_nothing(w, api):
    api.force_authenticate(w.firm)
    made = api.post(
        "/api/vouchers/applications/",
        {"issuing_region": "mianyang", "purpose": "检测", "amount": "100"},
        format="json",
    ).json()
    url = f"/api/vouchers/applications/{made['id']}"
    api.force_authenticate(w.coord_my)
    bad = api.post(
        f"{url}/approve/",
        {
            "amount": "100",
            "valid_from": "2026-12-31",
            "valid_until": "2026-01-01",
            "accepted_in": ["mianyang"],
        },
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["rule"] == "voucher_validity_order"
    assert not Voucher.objects.exists()
    assert api.post(f"{url}/reject/", {"reason": "预算已用完"}, format="json").status_code == 200
    assert api.post(f"{url}/reject/", {"reason": "再次"}, format="json").status_code == 409


def test_a_researcher_without_the_provider_cannot_ask_for_settlement(w, api):
    api.force_authenticate(w.firm)
    response = api.post(
        "/api/vouchers/settlements/",
        {"issuing_region": "mianyang", "period_from": "2026-03-01", "period_until": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 403
    assert not SettlementRequest.objects.exists()


def test_a_period_backwards_or_beyond_the_calendar_is_400(w, api):
    api.force_authenticate(w.manager)
    for body in (
        {"issuing_region": "mianyang", "period_from": "2026-03-31", "period_until": "2026-03-01"},
        {"issuing_region": "mianyang", "period_from": "0001-01-01", "period_until": "9999-12-31"},
    ):
        response = api.post("/api/vouchers/settlements/", body, format="json")
        assert response.status_code == 400, response.content
    assert not SettlementRequest.objects.exists()


def test_the_ledger_is_for_coordinators_and_providers(w, api):
    api.force_authenticate(w.firm)
    assert api.get("/api/vouchers/ledger/").status_code == 403
    api.force_authenticate(w.manager)
    assert api.get("/api/vouchers/ledger/").status_code == 200
    assert api.get(f"/api/vouchers/ledger/?provider={w.firm_org.pk}").status_code == 403


# --- Concurrency: real threads, real connections ----------------------------------------------

THREADS = 32


def _run(threads_targets):
    barrier = threading.Barrier(len(threads_targets))
    outcomes, lock = [], threading.Lock()

    def run(target):
        try:
            barrier.wait(timeout=30)
            try:
                result = target()
            except (RuleBroken, Conflict) as exc:
                result = type(exc).__name__ + ":" + (exc.rule or "")
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in threads_targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_32_threads_reserving_redeeming_and_settling_one_voucher_never_overdraw_or_settle_twice():
    my, bb = mianyang(), beibei()
    firm_org = OrganisationFactory(region=my, kind=Organisation.Kind.FIRM)
    firm = UserFactory(organisation=firm_org, roles=[Role.FIRM])
    swu = OrganisationFactory(region=bb)
    manager = UserFactory(organisation=swu, roles=[Role.INSTRUMENT_MANAGER])
    coordinator = UserFactory(organisation=OrganisationFactory(region=my), roles=[Role.COORDINATOR])
    instrument = InstrumentFactory(organisation=swu)
    # 100.00 a booking, half reserved: 50.00 each; 1020.00 covers twenty and a part.
    voucher = voucher_issue(
        issuing_region=my,
        organisation=firm_org,
        amount=D("1020.00"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
        accepted_in=[my, bb],
    )
    bookings = [
        checked_in_booking(
            instrument, firm, at(DAY) + datetime.timedelta(hours=2 * n), fee="100.00"
        )
        for n in range(THREADS)
    ]

    def reserve_and_complete(booking):
        def go():
            voucher_reserve(voucher=voucher, booking=booking, by=firm)
            complete(booking, firm)
            return "ok"

        return go

    outcomes = _run([reserve_and_complete(b) for b in bookings])
    assert len(outcomes) == THREADS
    assert outcomes.count("ok") == 21
    assert outcomes.count("RuleBroken:voucher_empty") == THREADS - 21
    voucher.refresh_from_db()
    assert voucher.balance == 0 and voucher.reserved == 0 and voucher.redeemed == D("1020.00")
    assert voucher_balance_check(voucher).consistent

    # Complete the bookings that found the voucher empty, so nothing is left checked in.
    # Now 32 settlement requests for the same redemptions at once: exactly one wins.
    def ask():
        made = settlement_request_create(
            provider=swu,
            issuing_region=my,
            period_from=DAY,
            period_until=DAY + datetime.timedelta(days=3),
            by=manager,
            redemptions=list(
                VoucherEntry.objects.filter(kind="redemption").values_list("pk", flat=True)
            ),
        )
        return f"won:{made.pk}"

    outcomes = _run([ask] * THREADS)
    won = [o for o in outcomes if o.startswith("won:")]
    assert len(won) == 1, outcomes
    assert outcomes.count("Conflict:settlement_already_requested") == THREADS - 1
    request = SettlementRequest.objects.get()
    assert request.lines.count() == 21 and request.total == D("1020.00")

    # Approve every line, then pay from many threads at once: paid once.
    for line in request.lines.all():
        settlement_line_decide(request=request, line_id=line.pk, by=coordinator, approve=True)

    def pay():
        settlement_mark_paid(request=request, by=coordinator)
        return "paid"

    outcomes = _run([pay] * 8)
    assert outcomes.count("paid") == 1
    assert outcomes.count("Conflict:settlement_paid") == 7
    voucher.refresh_from_db()
    assert voucher.settled == voucher.redeemed == D("1020.00")
    assert VoucherEntry.objects.filter(kind="settlement").count() == 21
    assert SettlementLine.objects.filter(status="approved").count() == 21
    assert ledger_differences() == []

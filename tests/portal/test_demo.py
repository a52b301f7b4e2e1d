import pytest
from django.core.management import CommandError, call_command

from demo.loader import ACCOUNTS
from portal.accounts.models import Organisation, User
from sharing.catalogue.models import Instrument, Platform

pytestmark = pytest.mark.django_db

ROLE_ACCOUNTS = [
    "researcher_mianyang",
    "researcher_beibei",
    "pi_swust",
    "manager_swu",
    "firm_demo",
    "owner_demo",
    "broker_demo",
    "reviewer_demo",
    "coordinator_demo",
    "admin",
    "orgadmin_swust",
    "orgadmin_swu",
    "orgadmin_firm",
    "orgadmin_cigit",
    "orgadmin_dual_use",
    "orgadmin_beibei_seat",
]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo")


def counts():
    from sharing.bookings.models import Booking, BookingTransition, Voucher, VoucherEntry
    from sharing.techmarket.models import TechContract

    return (
        User.objects.count(),
        Organisation.objects.count(),
        Platform.objects.count(),
        Instrument.objects.count(),
        Booking.objects.count(),
        BookingTransition.objects.count(),
        Voucher.objects.count(),
        VoucherEntry.objects.count(),
        TechContract.objects.count(),
    )


def test_load_demo_is_idempotent(settings, demo):
    before = counts()
    call_command("load_demo")
    assert counts() == before


def test_the_demo_has_the_sample_instruments_with_rates_and_a_manager(demo):
    assert Instrument.objects.count() == 8
    sem = Instrument.objects.get(internal_code="SWU-2019-0001")
    assert sem.rate_other_region == 500
    assert sem.managers.filter(username="manager_swu").exists()
    assert sem.booking_policy.closed_on_holidays
    assert sem.opening_hours.count() == 5


def test_demo_researchers_hold_vouchers_accepted_in_both_regions(demo):
    from sharing.bookings.models import Voucher

    voucher = Voucher.objects.get(
        organisation__members__username="researcher_mianyang", code__startswith="DEMO-510700-"
    )
    assert voucher.issuing_region.code == "mianyang"
    assert sorted(voucher.accepted_in.values_list("code", flat=True)) == ["beibei", "mianyang"]


def test_load_demo_refuses_when_debug_is_off_unless_forced(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")
    call_command("load_demo", "--force")
    assert User.objects.filter(username="admin").exists()


def test_every_role_has_a_demo_account_that_gets_a_token(api, demo, settings):
    assert sorted(a.username for a in ACCOUNTS) == sorted(ROLE_ACCOUNTS)
    for username in ROLE_ACCOUNTS:
        response = api.post(
            "/api/auth/token/", {"username": username, "password": settings.DEMO_PASSWORD}
        )
        assert response.status_code == 200, username
        assert response.json()["token"]


def test_the_places_load_with_their_confidence(demo):
    swu = Organisation.objects.get(place_key="swu")
    assert swu.region.code == "beibei"
    assert swu.location_confidence == "high"
    assert round(swu.location.y, 3) == 29.814
    cigit = Organisation.objects.get(place_key="cigit")
    assert cigit.location_is_approximate
    centre = Platform.objects.get(place_key="instr_share_cq")
    assert centre.location_is_approximate
    assert centre.level == "provincial"


def test_demo_researchers_are_recognised_across_regions(api, demo, settings):
    api.force_authenticate(User.objects.get(username="researcher_mianyang"))
    assert sorted(api.get("/api/me/").json()["recognised_in"]) == ["beibei", "mianyang"]


def test_approximate_platforms_are_marked_on_the_page(client, demo):
    html = client.get("/platforms/").content.decode()
    assert "四川军民融合大型科学仪器共享平台重庆中心" in html
    assert "近似位置" in html


# --- The demo's instruments say what they cost, and where they can be reached ---------------

RATE_FIELDS = ("rate_internal", "rate_same_region", "rate_other_region", "rate_firm")


def test_each_demo_instruments_fee_text_agrees_with_its_rates(demo):
    import re

    for instrument in Instrument.objects.filter(source__name="demo-sample"):
        rates = {int(getattr(instrument, f)) for f in RATE_FIELDS if getattr(instrument, f)}
        stated = {int(n) for n in re.findall(r"(\d+)元/小时", instrument.fee_text)}
        assert stated == rates, (instrument.internal_code, instrument.fee_text, rates)
        assert ("面议" in instrument.fee_text) == (not rates), instrument.internal_code
        assert not re.search(r"元/(样品|元素)", instrument.fee_text), instrument.fee_text


def test_demo_contacts_carry_their_own_regions_area_code(demo):
    area = {"mianyang": "0816-", "beibei": "023-"}
    for instrument in Instrument.objects.filter(source__name="demo-sample"):
        assert instrument.contact_phone.startswith(area[instrument.region.code]), (
            instrument.internal_code,
            instrument.contact_phone,
        )


# --- A year of history ------------------------------------------------------------------------


def test_the_demo_has_a_year_of_completed_bookings_both_ways_between_the_regions(demo):
    import datetime

    from django.db.models import F
    from django.utils import timezone

    from sharing.bookings.models import Booking

    completed = Booking.objects.filter(status=Booking.Status.COMPLETED)
    assert completed.count() > 200
    today = timezone.localdate()
    first = min(b.start for b in completed)
    assert (today - timezone.localtime(first).date()).days > 300
    assert all(b.end < timezone.now() for b in completed)
    # Each checked in and out, charged at its rate, with its whole life in transitions.
    assert not completed.filter(checked_in_at=None).exists()
    assert not completed.filter(checked_out_at__lt=F("checked_in_at")).exists()
    sem = completed.filter(instrument__internal_code="SWU-2019-0001").first()
    assert sem.charge > 0 and sem.hourly_rate in (300, 400, 500, 600)
    assert list(sem.transitions.values_list("to_status", flat=True)) == [
        "requested",
        "approved",
        "checked_in",
        "completed",
    ]
    assert sem.created_at < sem.start - datetime.timedelta(days=1)
    # Mianyang researchers on Beibei instruments, Beibei researchers on Mianyang's, and local use.
    directions = set(
        completed.values_list(
            "requester__organisation__region__code", "instrument__region__code"
        ).distinct()
    )
    assert {
        ("mianyang", "beibei"),
        ("beibei", "mianyang"),
        ("beibei", "beibei"),
        ("mianyang", "mianyang"),
    } <= directions
    assert Booking.objects.filter(status=Booking.Status.CANCELLED).exists()


def test_the_demo_history_used_vouchers_through_the_ledger(demo):
    from sharing.bookings.models import Voucher, VoucherEntry
    from sharing.bookings.vouchers.ledger import voucher_balance_check

    redemptions = VoucherEntry.objects.filter(kind="redemption")
    assert redemptions.filter(booking__status="completed").count() > 20
    assert VoucherEntry.objects.filter(kind="release", booking__status="cancelled").exists()
    for voucher in Voucher.objects.all():
        assert voucher_balance_check(voucher).consistent, voucher.code
    # The voucher people try the booking form with is left whole.
    fresh = Voucher.objects.get(code__startswith="DEMO-510700-")
    assert fresh.balance == fresh.amount


def test_the_demo_has_vouchers_in_every_stage_and_its_ledger_closes(demo):
    from sharing.bookings.models import SettlementRequest, VoucherApplication, VoucherEntry
    from sharing.bookings.vouchers.ledger import ledger_differences

    statuses = set(VoucherApplication.objects.values_list("status", flat=True))
    assert statuses == {"submitted", "approved", "rejected"}
    assert VoucherEntry.objects.filter(kind="reservation", booking__status="requested").exists()
    assert VoucherEntry.objects.filter(kind="redemption", booking__status="completed").exists()
    requests = set(SettlementRequest.objects.values_list("issuing_region__code", "status"))
    assert requests == {("mianyang", "submitted"), ("beibei", "paid")}
    assert VoucherEntry.objects.filter(kind="settlement").exists()
    assert ledger_differences() == []


def test_the_demo_registered_technology_contracts_this_year(demo):
    from django.utils import timezone

    from sharing.techmarket.selectors import contract_turnover_by_region

    rows = contract_turnover_by_region(year=timezone.localdate().year)
    assert sum(r["output_count"] for r in rows) == 2
    assert sum(r["output_amount"] for r in rows) > 0


# --- Every externally shared instrument in service can be booked ------------------------------


def _shared_and_running():
    from sharing.bookings.rules import NOT_RUNNING

    return Instrument.objects.filter(
        source__name="demo-sample", sharing_mode=Instrument.SharingMode.EXTERNAL
    ).exclude(running_status__in=NOT_RUNNING)


def test_every_externally_shared_demo_instrument_in_service_has_hours_and_a_policy(demo):
    from sharing.bookings.models import BookingPolicy

    shared = list(_shared_and_running())
    assert len(shared) >= 6
    for instrument in shared:
        assert instrument.opening_hours.exists(), instrument.internal_code
        assert BookingPolicy.objects.filter(instrument=instrument).exists()
    # Internal-only and out-of-service instruments are not opened to outsiders by the demo.
    for code in ("CQMRI-2015-0021", "MYHT-2016-0008"):
        assert not Instrument.objects.get(internal_code=code).opening_hours.exists(), code


def test_the_demo_hours_follow_each_instruments_fee_text(demo):
    """Priced by the hour ⇒ self-operated use on every weekday in 30-minute slots; 面议 (price
    agreed per job) ⇒ sample-testing style: approval and a day's notice, still on weekdays."""
    for instrument in _shared_and_running():
        weekdays = set(instrument.opening_hours.values_list("weekday", flat=True))
        assert {0, 1, 2, 3, 4} <= weekdays, instrument.internal_code
        policy = instrument.booking_policy
        if "元/小时" in instrument.fee_text:
            assert policy.slot_minutes == 30, instrument.internal_code
        else:
            assert "面议" in instrument.fee_text
            assert instrument.approval_required, instrument.internal_code
            assert policy.min_notice_minutes >= 24 * 60, instrument.internal_code


def test_the_week_page_of_every_shared_demo_instrument_shows_free_time(client, demo):
    import datetime

    from django.utils import timezone

    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    for instrument in _shared_and_running():
        url = f"/instruments/{instrument.pk}/book/"
        pages = [client.get(url).content.decode()] + [
            client.get(f"{url}?week={monday + datetime.timedelta(days=7 * n)}").content.decode()
            for n in (1, 2)
        ]
        assert not any("该仪器本周没有开放时间" in page for page in pages), instrument.internal_code
        # Next week or the one after (one of them is outside any holiday) has free slots.
        assert any('class="slot free"' in page for page in pages[1:]), instrument.internal_code


def test_a_second_load_adds_no_hours_or_policies(demo):
    from sharing.bookings.models import BookingPolicy, OpeningHours

    before = (OpeningHours.objects.count(), BookingPolicy.objects.count())
    call_command("load_demo")
    assert (OpeningHours.objects.count(), BookingPolicy.objects.count()) == before


def test_the_demo_has_an_organisation_administrator_per_demo_organisation(demo):
    from demo.loader import ACCOUNTS

    organisations = {a.organisation for a in ACCOUNTS if a.organisation}
    for account in ACCOUNTS:
        if account.organisation is None:
            continue
        user = User.objects.get(username=account.username)
        admins = User.objects.filter(
            organisation=user.organisation, roles__contains=["organisation_admin"]
        )
        assert admins.exists(), account.organisation
    assert len(organisations) == 6


def test_the_demo_has_one_pending_registration_for_swusts_organisation_administrator(demo):
    from portal.accounts.models import Verification
    from portal.accounts.verifications import verification_list

    orgadmin = User.objects.get(username="orgadmin_swust")
    pending = list(verification_list(user=orgadmin))
    assert [v.user.username for v in pending] == ["pending_mianyang"]
    assert pending[0].user.verified_region_id is None
    assert Verification.objects.filter(status="pending").count() == 1


def test_the_demo_hours_fit_each_policys_slots_and_manager_swu_has_a_console(client, demo):
    """The console refuses hours off the slot grid, so the demo's own hours must be on it; and
    manager_swu finds instruments with hours in the console."""
    from sharing.bookings.availability import policy_for
    from sharing.bookings.services.instrument_setup import hours_of, hours_problems

    for instrument in _shared_and_running():
        slot = policy_for(instrument).slot_minutes
        assert hours_problems(hours_of(instrument), slot=slot) == {}, instrument.internal_code
    manager = User.objects.get(username="manager_swu")
    managed = list(manager.managed_instruments.all())
    assert any(instrument.opening_hours.exists() for instrument in managed)
    client.force_login(manager)
    page = client.get("/manage/").content.decode()
    for instrument in managed:
        assert f'href="/manage/instruments/{instrument.pk}/"' in page

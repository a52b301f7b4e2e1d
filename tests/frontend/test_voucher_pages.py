"""Voucher pages: a firm applies on /vouchers/ (a bad form is kept), a coordinator approves on
/vouchers/applications/, a provider asks for settlement on /vouchers/settlements/, the
coordinator decides and pays on the request's page, and both printable papers; in both
languages."""

import datetime
from decimal import Decimal

import pytest

from portal.accounts.models import Organisation, Role
from sharing.bookings.models import SettlementRequest, Voucher, VoucherApplication
from tests.bookings.test_voucher_lifecycle import DAY, at, checked_in_booking, complete
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

D = Decimal


@pytest.fixture
def people(db):
    my, bb = mianyang(), beibei()
    firm_org = OrganisationFactory(name="绵阳某科技公司", region=my, kind=Organisation.Kind.FIRM)
    swu = OrganisationFactory(name="西南大学", region=bb)
    manager = UserFactory(organisation=swu, roles=[Role.INSTRUMENT_MANAGER])
    instrument = InstrumentFactory(organisation=swu)
    instrument.managers.add(manager)
    return {
        "firm": UserFactory(organisation=firm_org, roles=[Role.FIRM]),
        "coordinator": UserFactory(
            organisation=OrganisationFactory(region=my), roles=[Role.COORDINATOR]
        ),
        "manager": manager,
        "instrument": instrument,
        "outsider": UserFactory(roles=[Role.RESEARCHER]),
    }


def test_a_firm_applies_and_a_bad_form_is_kept_with_its_message(people, client):
    client.force_login(people["firm"])
    bad = client.post(
        "/vouchers/", {"issuing_region": "mianyang", "amount": "-3", "purpose": "委托检测用途"}
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "申请未提交" in html and "委托检测用途" in html
    assert not VoucherApplication.objects.exists()

    done = client.post(
        "/vouchers/", {"issuing_region": "mianyang", "amount": "800", "purpose": "委托检测"}
    )
    assert done.status_code == 302
    page = client.get("/vouchers/").content.decode()
    assert "本单位的申请" in page and "等待审批" in page


def test_the_coordinator_approves_on_the_applications_page(people, client):
    client.force_login(people["firm"])
    client.post("/vouchers/", {"issuing_region": "mianyang", "amount": "800", "purpose": "检测"})
    application = VoucherApplication.objects.get()
    client.force_login(people["outsider"])
    assert client.get("/vouchers/applications/").status_code == 403
    client.force_login(people["coordinator"])
    page = client.get("/vouchers/applications/")
    assert page.status_code == 200 and "批准并发放" in page.content.decode()
    prefix = f"a{application.pk}"
    bad = client.post(
        "/vouchers/applications/",
        {
            "application": application.pk,
            "action": "approve",
            f"{prefix}-amount": "600",
            f"{prefix}-valid_from": "2026-12-31",
            f"{prefix}-valid_until": "2026-01-01",
            f"{prefix}-accepted_in": ["mianyang", "beibei"],
        },
    )
    assert bad.status_code == 200 and "生效日期不能晚于截止日期" in bad.content.decode()
    assert not Voucher.objects.exists()
    ok = client.post(
        "/vouchers/applications/",
        {
            "application": application.pk,
            "action": "approve",
            f"{prefix}-amount": "600",
            f"{prefix}-valid_from": "2026-01-01",
            f"{prefix}-valid_until": "2026-12-31",
            f"{prefix}-accepted_in": ["mianyang", "beibei"],
        },
    )
    assert ok.status_code == 302
    application.refresh_from_db()
    assert application.status == "approved" and application.voucher.amount == D("600")


def _redeemed(people):
    from sharing.bookings.vouchers.ledger import voucher_reserve
    from sharing.bookings.vouchers.services import voucher_issue

    firm = people["firm"]
    voucher = voucher_issue(
        issuing_region=mianyang(),
        organisation=firm.organisation,
        amount=D("1000"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
        accepted_in=[mianyang(), beibei()],
    )
    booking = checked_in_booking(people["instrument"], firm, at(DAY))
    voucher_reserve(voucher=voucher, booking=booking, by=firm)
    complete(booking, firm)
    return voucher


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_provider_asks_for_settlement_and_the_coordinator_pays(people, client, language):
    voucher = _redeemed(people)
    client.cookies["django_language"] = language
    client.force_login(people["manager"])
    query = {
        "issuing_region": "mianyang",
        "period_from": "2026-03-01",
        "period_until": "2026-03-31",
    }
    listed = client.get("/vouchers/settlements/", query).content.decode()
    assert voucher.code in listed
    assert ("提交兑现申请" if language == "zh-hans" else "Submit the settlement request") in listed
    entry = voucher.entries.get(kind="redemption")
    made = client.post("/vouchers/settlements/", {**query, "redemption": [entry.pk]})
    assert made.status_code == 302
    request = SettlementRequest.objects.get()
    for paper, words in (
        ("form", ("科技创新券兑现申请表", "Innovation voucher settlement application form")),
        ("commitment", ("信用承诺书", "Credit commitment")),
    ):
        html = client.get(f"/vouchers/settlements/{request.pk}/{paper}/").content.decode()
        assert words[0 if language == "zh-hans" else 1] in html
        assert "200.00" in html

    client.force_login(people["coordinator"])
    line = request.lines.get()
    url = f"/vouchers/settlements/{request.pk}/"
    client.post(url, {"action": "reject", "line": line.pk, "reason": ""})
    line.refresh_from_db()
    assert line.status == "pending"  # a rejection without a reason is refused
    client.post(url, {"action": "approve", "line": line.pk})
    client.post(url, {"action": "paid"})
    request.refresh_from_db()
    voucher.refresh_from_db()
    assert request.status == "paid" and voucher.settled == D("200.00")
    page = client.get(url).content.decode()
    assert ("已兑付" if language == "zh-hans" else "Paid") in page


def test_others_do_not_find_a_settlement_request(people, client):
    _redeemed(people)
    from sharing.bookings.vouchers.settlement import settlement_request_create

    request = settlement_request_create(
        provider=people["manager"].organisation,
        issuing_region=mianyang(),
        period_from=DAY,
        period_until=DAY,
        by=people["manager"],
    )
    client.force_login(people["outsider"])
    for tail in ("", "form/", "commitment/"):
        assert client.get(f"/vouchers/settlements/{request.pk}/{tail}").status_code == 404


def test_english_voucher_pages_name_regions_and_providers_in_english(people, client):
    """Region choices and the provider in their stored English, Chinese user text marked."""
    swu = people["manager"].organisation
    swu.name_en = "Southwest University"
    swu.save(update_fields=["name_en"])
    client.cookies["django_language"] = "en"
    client.force_login(people["firm"])
    client.post(
        "/vouchers/", {"issuing_region": "mianyang", "amount": "800", "purpose": "委托检测"}
    )
    client.force_login(people["coordinator"])
    html = client.get("/vouchers/applications/").content.decode()
    assert '<span lang="zh-Hans">委托检测</span>' in html
    assert "\n Mianyang</label>" in html and "\n Beibei</label>" in html
    assert "绵阳</label>" not in html

    voucher = _redeemed(people)
    client.force_login(people["manager"])
    html = client.get("/vouchers/settlements/").content.decode()
    assert "Ask for settlement for Southwest University" in html
    from sharing.bookings.vouchers.settlement import settlement_request_create

    request = settlement_request_create(
        provider=swu,
        issuing_region=mianyang(),
        period_from=DAY,
        period_until=DAY,
        by=people["manager"],
    )
    form = client.get(f"/vouchers/settlements/{request.pk}/form/").content.decode()
    assert f"Southwest University (unified social credit code {swu.uscc})" in form
    assert "Mianyang" in form and "（" not in form
    commitment = client.get(f"/vouchers/settlements/{request.pk}/commitment/").content.decode()
    assert "Southwest University" in commitment and "西南大学" not in commitment
    assert voucher.code in form

"""The booking pages through the test client: what they show, to whom, and in which words."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.accounts.models import Organisation, Role
from portal.accounts.services import regions_recognise_each_other, user_verify
from portal.errors import RuleBroken
from sharing.bookings import services
from sharing.bookings.models import Booking, BookingPolicy, OpeningHours
from sharing.bookings.vouchers.services import voucher_issue
from sharing.catalogue.models import Instrument, InstrumentClass
from tests.bookings import SH
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def next_week_day(weekday: int) -> datetime.date:
    """That weekday in next week (Monday-based), always ahead of today in Shanghai and well
    inside the policy's horizon."""
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=7)
    return monday + datetime.timedelta(days=weekday)


def at(day: datetime.date, hhmm: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), tzinfo=SH)


def booking_world(*, approval_required: bool = True) -> dict:
    """北碚 instrument open every day 08:00–20:00 (rates 50/100/150/200 元/h, 30-minute slots),
    its manager, a verified Mianyang researcher with a voucher accepted in 北碚, and a verified
    北碚 colleague of another organisation."""
    bb, my = beibei(), mianyang()
    regions_recognise_each_other(regions=[bb, my])
    # Browser tests flush the tables, and the migration's class rows with them.
    InstrumentClass.objects.get_or_create(code="01", defaults={"name": "分析仪器"})
    swu = OrganisationFactory(name="西南大学", region=bb, kind=Organisation.Kind.UNIVERSITY)
    swust = OrganisationFactory(name="西南科技大学", region=my, kind=Organisation.Kind.UNIVERSITY)
    other = OrganisationFactory(name="重庆某研究所", region=bb)
    manager = UserFactory(username="manager", organisation=swu, roles=[Role.INSTRUMENT_MANAGER])
    researcher = UserFactory(
        username="researcher", organisation=swust, first_name="李研", roles=[Role.RESEARCHER]
    )
    colleague = UserFactory(username="colleague", organisation=other, roles=[Role.RESEARCHER])
    for user in (manager, researcher, colleague):
        user_verify(user=user, region=user.organisation.region)
    instrument = InstrumentFactory(
        organisation=swu,
        name="场发射扫描电子显微镜",
        approval_required=approval_required,
        rate_internal=Decimal("50"),
        rate_same_region=Decimal("100"),
        rate_other_region=Decimal("150"),
        rate_firm=Decimal("200"),
    )
    instrument.managers.set([manager])
    BookingPolicy.objects.create(
        instrument=instrument, slot_minutes=30, min_minutes=60, max_minutes=240, max_advance_days=60
    )
    for weekday in range(7):
        OpeningHours.objects.create(
            instrument=instrument,
            weekday=weekday,
            opens=datetime.time(8),
            closes=datetime.time(20),
        )
    today = timezone.localdate()
    voucher = voucher_issue(
        issuing_region=my,
        organisation=swust,
        amount=Decimal("1000.00"),
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=[my, bb],
        code="510700-2026-MY01",
    )
    return {
        "instrument": instrument,
        "manager": manager,
        "researcher": researcher,
        "colleague": colleague,
        "voucher": voucher,
        "swu": swu,
        "swust": swust,
        "other": other,
    }


@pytest.fixture
def world():
    return booking_world()


def book(world, who="researcher", day=None, start="09:00", end="11:00", purpose="形貌观察"):
    day = day or next_week_day(1)
    return services.booking_create(
        requester=world[who],
        instrument=world["instrument"],
        start=at(day, start),
        end=at(day, end),
        purpose=purpose,
    )


def no_inline_scripts(html: str) -> bool:
    """Every <script> loads a file of the portal: nothing inline for a CSP to forbid."""
    tags = re.findall(r"<script\b[^>]*>", html)
    return all(re.search(r'src="/static/', tag) for tag in tags)


# --- The week page ---------------------------------------------------------------------------


def test_the_week_of_national_day_is_labelled_in_chinese(client, world):
    url = f"/instruments/{world['instrument'].pk}/book/?week=2026-10-01"
    html = client.get(url).content.decode()
    assert "空闲时段与预约" in html
    assert "2026-09-28 – 2026-10-04" in html
    assert "国庆节 · 法定节假日" in html
    # The holiday columns are closed, hatched as holidays.
    assert 'class="slot closed holiday"' in html
    assert "周四<br>2026-10-01" in html
    # Rows from the earliest opening to the latest closing, in 30-minute slots.
    assert ">08:00</th>" in html and ">19:30</th>" in html and ">20:00</th>" not in html
    assert "?week=2026-09-21" in html and "?week=2026-10-05" in html


def test_a_makeup_working_day_is_labelled(client, world):
    # 2026-09-20 (Sunday) is a working day in the National Day notice.
    html = client.get(f"/instruments/{world['instrument'].pk}/book/?week=2026-09-20").content
    assert "调休上班" in html.decode()


def test_anonymous_visitors_see_the_week_and_are_asked_to_sign_in(client, world):
    monday = next_week_day(0)
    response = client.get(f"/instruments/{world['instrument'].pk}/book/?week={monday}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "登录后预约" in html
    assert "/login/?next=" in html
    assert 'class="slot free"' in html
    # Free time shows, but nothing to click and no form.
    assert "slot-pick" not in html
    assert 'id="booking-form"' not in html


def test_a_signed_in_researcher_gets_free_slots_and_the_form(client, world):
    book(world, who="colleague", start="09:00", end="11:00")
    client.force_login(world["researcher"])
    tuesday = next_week_day(1)
    html = client.get(
        f"/instruments/{world['instrument'].pk}/book/?week={tuesday.isoformat()}"
    ).content.decode()
    assert 'id="booking-form"' in html
    assert f'data-start="{tuesday.isoformat()}T08:00:00+08:00"' in html
    # The free interval before the taken time ends where the booking starts.
    assert f'data-free-end="{tuesday.isoformat()}T09:00:00+08:00"' in html
    assert f'data-start="{tuesday.isoformat()}T09:00:00+08:00"' not in html
    assert "已占用" in html
    assert 'data-min="60"' in html and 'data-slot="30"' in html
    assert 'src="/static/frontend/week.js"' in html
    assert no_inline_scripts(html)
    assert "登录后预约" not in html


def test_the_booking_form_explains_the_voucher_cap(client, world, settings):
    settings.VOUCHER_MAX_SHARE = "0.5"
    client.force_login(world["researcher"])
    html = client.get(f"/instruments/{world['instrument'].pk}/book/").content.decode()
    assert "创新券最多抵扣 50% 的费用" in html
    settings.VOUCHER_MAX_SHARE = "0.3"
    client.cookies["django_language"] = "en"
    html = client.get(f"/instruments/{world['instrument'].pk}/book/").content.decode()
    assert "A voucher covers at most 30% of the fee" in html


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"sharing_mode": Instrument.SharingMode.NONE}, "该仪器不共享"),
        ({"running_status": Instrument.RunningStatus.AWAITING_REPAIR}, "待修"),
    ],
)
def test_instruments_that_cannot_be_booked_say_why(client, world, change, says):
    Instrument.objects.filter(pk=world["instrument"].pk).update(**change)
    client.force_login(world["researcher"])
    html = client.get(
        f"/instruments/{world['instrument'].pk}/book/?week={next_week_day(0)}"
    ).content.decode()
    assert "暂不能预约" in html
    assert says in html
    assert "slot-pick" not in html and 'id="booking-form"' not in html


@pytest.mark.parametrize(
    "change",
    [
        {"withdrawn_at": datetime.datetime(2026, 1, 1, tzinfo=SH)},
        {"sharing_mode": Instrument.SharingMode.NONE},
        {"sharing_mode": Instrument.SharingMode.INTERNAL},
        {"running_status": Instrument.RunningStatus.AWAITING_DISPOSAL},
    ],
)
def test_the_week_page_shows_the_refusal_the_service_gives(client, world, change):
    # One rule: the page says exactly what booking would answer.
    Instrument.objects.filter(pk=world["instrument"].pk).update(**change)
    instrument = Instrument.objects.get(pk=world["instrument"].pk)
    day = next_week_day(1)
    with pytest.raises(RuleBroken) as refused:
        services.booking_create(
            requester=world["researcher"],
            instrument=instrument,
            start=at(day, "09:00"),
            end=at(day, "10:00"),
            purpose="形貌观察",
        )
    client.force_login(world["researcher"])
    html = client.get(f"/instruments/{instrument.pk}/book/?week={day}").content.decode()
    assert refused.value.message in html
    assert 'id="booking-form"' not in html


def test_an_unverified_person_is_told_to_verify(client, world):
    person = UserFactory(username="new", organisation=world["swust"])
    client.force_login(person)
    html = client.get(f"/instruments/{world['instrument'].pk}/book/").content.decode()
    assert "请先完成实名认证" in html
    assert 'id="booking-form"' not in html


def test_the_instrument_page_links_to_the_week(client, world):
    html = client.get(f"/instruments/{world['instrument'].pk}/").content.decode()
    assert "查看空闲时段并预约" in html
    assert f'href="/instruments/{world["instrument"].pk}/book/"' in html


def test_an_unknown_instrument_is_404(client, db):
    assert client.get("/instruments/999999/book/").status_code == 404


def test_nonsense_weeks_fall_back_to_this_week(client, world):
    response = client.get(f"/instruments/{world['instrument'].pk}/book/?week=0001-01-01")
    assert response.status_code == 200
    response = client.get(f"/instruments/{world['instrument'].pk}/book/?week=next-tuesday")
    assert response.status_code == 200


# --- The fee estimate --------------------------------------------------------------------------


def test_the_quote_gives_the_fee_and_what_the_voucher_covers(client, world):
    client.force_login(world["researcher"])
    day = next_week_day(2)
    response = client.get(
        f"/instruments/{world['instrument'].pk}/book/quote/",
        {"start": at(day, "09:00").isoformat(), "end": at(day, "11:00").isoformat()},
    )
    data = response.json()
    # A Mianyang researcher on a 北碚 instrument: the cross-region rate, 2 h × 150.
    assert data["rate_category"] == "other_region"
    assert data["cross_region"] is True
    assert data["amount"] == "300.00"
    assert data["rate_category_label"] == "跨地区"
    [voucher] = data["vouchers"]
    assert voucher["code"] == "510700-2026-MY01"
    # min(balance 1000, 0.5 × 300)
    assert voucher["covers"] == "150.00"


def test_the_quote_is_for_signed_in_people(client, world):
    day = next_week_day(2)
    response = client.get(
        f"/instruments/{world['instrument'].pk}/book/quote/",
        {"start": at(day, "09:00").isoformat(), "end": at(day, "11:00").isoformat()},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_backwards_quote_names_the_rule(client, world):
    client.force_login(world["researcher"])
    day = next_week_day(2)
    response = client.get(
        f"/instruments/{world['instrument'].pk}/book/quote/",
        {"start": at(day, "11:00").isoformat(), "end": at(day, "09:00").isoformat()},
    )
    assert response.status_code == 400
    assert response.json()["error"]["rule"] == "period_order"


# --- My bookings ------------------------------------------------------------------------------


def test_my_bookings_show_status_fee_cancel_and_the_calendar(client, world):
    mine = book(world, purpose="我的样品")
    book(world, who="colleague", start="13:00", end="14:00", purpose="别人的样品")
    client.force_login(world["researcher"])
    html = client.get("/bookings/").content.decode()
    assert "我的预约" in html
    assert "我的样品" in html and "别人的样品" not in html
    assert "待审批" in html
    assert "300.00 元" in html
    assert f'data-url="/api/bookings/{mine.pk}/cancel"' in html
    assert "日历订阅" in html and "生成地址" in html
    assert f'href="/calendar/instruments/{world["instrument"].pk}/busy.ics"' in html
    assert no_inline_scripts(html)


def test_my_bookings_offer_no_cancel_once_an_approved_booking_has_started(client, world):
    started = book(world, purpose="已开始")
    now = timezone.now()
    Booking.objects.filter(pk=started.pk).update(
        status=Booking.Status.APPROVED,
        period=(now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=1)),
        blocked=(now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=1)),
    )
    waiting = book(world, purpose="还没开始", start="13:00", end="14:00")
    client.force_login(world["researcher"])
    html = client.get("/bookings/").content.decode()
    assert "已开始" in html
    assert f"/api/bookings/{started.pk}/cancel" not in html
    assert f"/api/bookings/{waiting.pk}/cancel" in html


def test_my_bookings_show_the_live_calendar_address(client, world):
    client.force_login(world["researcher"])
    client.post("/api/calendar/token/")
    html = client.get("/bookings/").content.decode()
    assert re.search(r'value="http://testserver/calendar/[A-Za-z0-9_-]{20,64}\.ics"', html)
    assert "更换地址" in html and "停用地址" in html


def test_my_bookings_are_for_signed_in_people(client, db):
    response = client.get("/bookings/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_the_nav_links_my_bookings_for_signed_in_people_only(client, world):
    assert "我的预约" not in client.get("/").content.decode()
    client.force_login(world["researcher"])
    assert 'href="/bookings/"' in client.get("/").content.decode()


# --- The queue -------------------------------------------------------------------------------


def test_the_queue_is_403_for_people_who_manage_nothing(client, world):
    client.force_login(world["researcher"])
    assert client.get("/bookings/queue/").status_code == 403


def test_the_queue_lists_requests_on_my_instruments_escaped(client, world):
    book(world, purpose=SCRIPT)
    client.force_login(world["manager"])
    html = client.get("/bookings/queue/").content.decode()
    assert "待审批的预约" in html
    assert ESCAPED in html and SCRIPT not in html
    assert "李研" in html and "西南科技大学" in html and "绵阳" in html
    assert 'class="badge cross">跨地区' in html
    assert "300.00 元" in html
    assert "/approve" in html and "/reject" in html


def test_the_queue_offers_no_approve_button_for_my_own_request(client, world):
    theirs = book(world, purpose="别人的申请")
    mine = book(world, who="manager", start="13:00", end="14:00", purpose="我自己的申请")
    client.force_login(world["manager"])
    html = client.get("/bookings/queue/").content.decode()
    assert "我自己的申请" in html and "别人的申请" in html
    assert f"/api/bookings/{theirs.pk}/approve" in html
    assert f"/api/bookings/{mine.pk}/approve" not in html
    assert f"/api/bookings/{mine.pk}/reject" in html
    assert "自己的申请须由其他管理员审批" in html


def test_another_managers_queue_does_not_show_my_instruments_requests(client, world):
    book(world, purpose="只给本仪器管理员看")
    elsewhere = UserFactory(
        username="other_manager", organisation=world["other"], roles=[Role.INSTRUMENT_MANAGER]
    )
    client.force_login(elsewhere)
    html = client.get("/bookings/queue/").content.decode()
    assert "只给本仪器管理员看" not in html
    assert "没有等待审批的预约" in html


def forgotten(world, purpose):
    """A booking beat checked out at its booked end because nobody did."""
    booking = book(world, purpose=purpose)
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.COMPLETED,
        checked_in_at=booking.start,
        checked_out_at=booking.end,
        charge=Decimal("300.00"),
        checkout_forgotten=True,
    )
    return booking


def test_the_queue_flags_sessions_beat_checked_out_for_the_manager(client, world):
    forgotten(world, purpose="忘了签退")
    client.force_login(world["manager"])
    html = client.get("/bookings/queue/").content.decode()
    assert "未签退的使用" in html
    assert "忘了签退" in html
    assert "未签退（系统按预约结束时间签退）" in html


def test_another_managers_queue_does_not_flag_my_instruments_sessions(client, world):
    forgotten(world, purpose="只给本仪器管理员看")
    elsewhere = UserFactory(
        username="other_manager", organisation=world["other"], roles=[Role.INSTRUMENT_MANAGER]
    )
    client.force_login(elsewhere)
    assert "只给本仪器管理员看" not in client.get("/bookings/queue/").content.decode()


def test_my_bookings_say_when_beat_checked_me_out(client, world):
    forgotten(world, purpose="忘了签退")
    client.force_login(world["researcher"])
    html = client.get("/bookings/").content.decode()
    assert "未签退（系统按预约结束时间签退）" in html


def test_decided_bookings_leave_the_queue(client, world):
    booking = book(world, purpose="已经批了")
    services.booking_approve(booking=booking, by=world["manager"])
    client.force_login(world["manager"])
    assert "已经批了" not in client.get("/bookings/queue/").content.decode()


# --- Vouchers ------------------------------------------------------------------------------


def test_vouchers_show_only_my_organisations(client, world):
    booking = book(world)
    services.booking_cancel(booking=booking, by=world["researcher"])
    mine = book(world, start="14:00", end="16:00")
    from sharing.bookings.vouchers.ledger import voucher_reserve

    voucher_reserve(voucher=world["voucher"], booking=mine, by=world["researcher"])
    voucher_issue(
        issuing_region=beibei(),
        organisation=world["other"],
        amount=Decimal("500.00"),
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        accepted_in=[beibei()],
        code="500109-2026-OTHER",
    )
    client.force_login(world["researcher"])
    html = client.get("/vouchers/").content.decode()
    assert "510700-2026-MY01" in html
    assert "500109-2026-OTHER" not in html
    assert "绵阳" in html and "北碚" in html
    assert 'max="1000.00" value="850.00"' in html
    assert "已用 150.00 元" in html and "剩余 850.00 元" in html
    assert "预留" in html and "150.00" in html


def test_coordinators_see_every_organisations_vouchers(client, world):
    voucher_issue(
        issuing_region=beibei(),
        organisation=world["other"],
        amount=Decimal("500.00"),
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        accepted_in=[beibei()],
        code="500109-2026-OTHER",
    )
    coordinator = UserFactory(username="coordinator", roles=[Role.COORDINATOR])
    client.force_login(coordinator)
    html = client.get("/vouchers/").content.decode()
    assert "510700-2026-MY01" in html and "500109-2026-OTHER" in html
    assert "重庆某研究所" in html


def test_vouchers_are_for_signed_in_people(client, db):
    assert client.get("/vouchers/").status_code == 302


def test_pages_render_in_english_when_asked(client, world):
    client.cookies["django_language"] = "en"
    response = client.get(f"/instruments/{world['instrument'].pk}/book/?week=2026-10-01")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_a_booking_made_on_the_page_is_the_apis(client, world):
    """The form posts exactly what the page's data-attributes and the API agree on."""
    client.force_login(world["researcher"])
    day = next_week_day(3)
    response = client.post(
        "/api/bookings/",
        {
            "instrument": world["instrument"].pk,
            "start": at(day, "10:00").isoformat(),
            "end": at(day, "12:00").isoformat(),
            "purpose": "测试",
            "voucher": world["voucher"].pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.get().status == Booking.Status.REQUESTED

"""Demo data: the two regions, the real places, and one account per role. Demo only."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from demo.history import history_load
from demo.orders import orders_demo_load
from demo.projects import projects_demo_load
from demo.techmarket import contracts_demo_load, techmarket_demo_load
from demo.voucher_stages import voucher_stages_load
from geo.zones_build import zones_load
from portal.accounts import uscc
from portal.accounts.models import Organisation, Role, User, Verification
from portal.accounts.services import (
    organisation_upsert,
    region_upsert,
    regions_recognise_each_other,
    user_upsert,
)
from sharing.catalogue.feed_import.store import InstrumentImport
from sharing.catalogue.models import FeedSource, Instrument
from sharing.catalogue.places import places_load

SAMPLE_FEED = settings.BASE_DIR / "data" / "sample-instrument-feed.csv"
# Demo rates (元/小时) per instrument, by requester category (own organisation, same region,
# other region, firm); None where the feed's 参考收费标准 states no price for that category.
# Each must agree with the instrument's fee text in data/sample-instrument-feed.csv.
RATE_FIELDS = ("rate_internal", "rate_same_region", "rate_other_region", "rate_firm")
DEMO_RATES = {
    "SWU-2019-0001": (300, 400, 500, 600),
    "SWU-2017-0042": (None, None, None, None),  # 面议
    "CIGIT-2020-0107": (150, 200, 250, 300),
    "CIGIT-2021-0213": (450, 600, 600, 700),
    "SWUST-2018-0310": (500, 800, 800, 900),
    "SWUST-2022-0056": (400, 400, 400, 400),
    "MYHT-2016-0008": (1200, 1200, 1200, 1200),
    "CQMRI-2015-0021": (200, None, None, None),  # internal sharing only
}

REGIONS = [
    {
        "adcode": "510700",
        "code": "mianyang",
        "name": "绵阳",
        "name_en": "Mianyang",
        "province": "四川省",
    },
    {
        "adcode": "500109",
        "code": "beibei",
        "name": "北碚",
        "name_en": "Beibei",
        "province": "重庆市",
    },
]

DEMO_FIRM = {
    "name": "重庆绵碚演示科技有限公司",
    "name_en": "Mianbei Demo Technology Co., Ltd. (demo)",
    # A made-up code with a correct check character: demo data must pass the same validation.
    "uscc": uscc.make("91500109MA61B3C7W"),
    # A made-up address in 蔡家 (the belt's end), marked approximate: with it the demo's matches
    # give a real distance between the parties instead of "需求方未标注位置".
    "location": Point(106.452, 29.736, srid=4326),
    "location_confidence": "low",
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    organisation: str | None  # place key, or "firm" for the demo firm
    roles: tuple[str, ...]
    first_name: str
    superuser: bool = False


ACCOUNTS = [
    DemoAccount("researcher_mianyang", "swust", (Role.RESEARCHER,), "绵阳研究员"),
    DemoAccount("researcher_beibei", "swu", (Role.RESEARCHER,), "北碚研究员"),
    # Leads a project (课题) at 西南科技大学 that researcher_mianyang charges to.
    DemoAccount("pi_swust", "swust", (Role.RESEARCHER,), "西南科大课题负责人"),
    DemoAccount("manager_swu", "swu", (Role.INSTRUMENT_MANAGER, Role.RESEARCHER), "西大仪器管理员"),
    DemoAccount("firm_demo", "firm", (Role.FIRM,), "演示企业用户"),
    DemoAccount("owner_demo", "cigit", (Role.TECHNOLOGY_OWNER,), "成果持有人"),
    DemoAccount("broker_demo", "dual_use_cq_body", (Role.BROKER,), "技术经纪人"),
    DemoAccount("reviewer_demo", "dual_use_cq_body", (Role.REVIEWER,), "保密审核员"),
    DemoAccount("coordinator_demo", "beibei_seat", (Role.COORDINATOR,), "绵碚协调员"),
    DemoAccount("admin", None, (Role.ADMINISTRATOR,), "管理员", superuser=True),
    # An organisation administrator for each demo organisation: verifies its members.
    DemoAccount("orgadmin_swust", "swust", (Role.ORGANISATION_ADMIN,), "西南科技大学机构管理员"),
    DemoAccount("orgadmin_swu", "swu", (Role.ORGANISATION_ADMIN,), "西南大学机构管理员"),
    DemoAccount("orgadmin_firm", "firm", (Role.ORGANISATION_ADMIN,), "演示企业机构管理员"),
    DemoAccount("orgadmin_cigit", "cigit", (Role.ORGANISATION_ADMIN,), "重庆绿色智能院机构管理员"),
    DemoAccount(
        "orgadmin_dual_use", "dual_use_cq_body", (Role.ORGANISATION_ADMIN,), "两用中心机构管理员"
    ),
    DemoAccount(
        "orgadmin_beibei_seat", "beibei_seat", (Role.ORGANISATION_ADMIN,), "区政府机构管理员"
    ),
]
# One sign-up waiting for 西南科技大学's organisation administrator: e-mail confirmed, not verified.
PENDING_SIGN_UP = {
    "username": "pending_mianyang",
    "first_name": "待认证研究员",
    "email": "pending_mianyang@mianbei.example",
    "phone": "13800000000",
    "staff_number": "SWUST2026001",
}


@transaction.atomic
def demo_load(*, reset_passwords: bool = False) -> dict:
    regions = [region_upsert(**region) for region in REGIONS]
    regions_recognise_each_other(regions=regions)
    places = places_load()
    zones_load()
    firm = organisation_upsert(kind=Organisation.Kind.FIRM, region=regions[1], **DEMO_FIRM)
    by_key = {org.place_key: org for org in Organisation.objects.exclude(place_key=None)}
    by_key["firm"] = firm
    users = [
        user_upsert(
            username=account.username,
            password=settings.DEMO_PASSWORD,
            organisation=by_key[account.organisation] if account.organisation else None,
            roles=list(account.roles),
            first_name=account.first_name,
            is_superuser=account.superuser,
            reset_password=reset_passwords,
        )
        for account in ACCOUNTS
    ]
    source, _ = FeedSource.objects.get_or_create(
        name="demo-sample", defaults={"location": str(SAMPLE_FEED), "title": "演示数据 demo"}
    )
    InstrumentImport(path=SAMPLE_FEED, source=source).run()
    demo_instruments = Instrument.objects.filter(source=source)
    for code, rates in DEMO_RATES.items():
        demo_instruments.filter(internal_code=code).update(
            **dict(zip(RATE_FIELDS, rates, strict=True))
        )
    manager = next(u for u in users if u.username == "manager_swu")
    manager.managed_instruments.add(*demo_instruments.filter(organisation=manager.organisation))
    _demo_booking_rules(demo_instruments)
    vouchers = _demo_vouchers(regions, users)
    named = {u.username: u for u in users}
    tech = techmarket_demo_load(
        owner=named["owner_demo"], firm=named["firm_demo"], broker=named["broker_demo"]
    )
    contracts = contracts_demo_load(firm=named["firm_demo"], broker=named["broker_demo"])
    history = history_load(users=named, regions=regions, approver=named["admin"])
    _pending_sign_up(by_key["swust"])
    orders = orders_demo_load(users=named, fallback_manager=named["admin"])
    voucher_applications = voucher_stages_load(named=named, regions=regions)
    projects = projects_demo_load(users=named)
    return {
        "regions": len(regions),
        "vouchers": vouchers,
        "instruments": demo_instruments.count(),
        "organisations": Organisation.objects.count(),
        "platforms": len(places.platforms),
        "accounts": len(users),
        "tech_listings": tech["listings"],
        "tech_needs": tech["needs"],
        "tech_contracts": contracts,
        "history_bookings": history,
        "test_items": orders["test_items"],
        "sample_orders": orders["orders"],
        "voucher_applications": voucher_applications,
        "projects": projects["projects"],
        "charges_waiting": projects["waiting"],
    }


def _pending_sign_up(organisation: Organisation) -> None:
    """The demo's one pending registration (kept as it is on a second load)."""
    if User.objects.filter(username=PENDING_SIGN_UP["username"]).exists():
        return
    fields = {k: v for k, v in PENDING_SIGN_UP.items() if k != "staff_number"}
    user = User(organisation=organisation, roles=[], **fields)
    user.set_password(settings.DEMO_PASSWORD)
    user.save()
    Verification.objects.create(
        kind=Verification.Kind.MEMBER,
        user=user,
        organisation=organisation,
        requested_roles=[Role.RESEARCHER],
        staff_number=PENDING_SIGN_UP["staff_number"],
        email_confirmed_at=timezone.now(),
    )


# Opening hours follow the fee text (参考收费标准), since that says how an instrument is used:
# - priced by the hour (元/小时): people operate it themselves (自主上机), so it is booked by the
#   half hour, Monday to Friday 08:30–17:30; the few in SATURDAY_MORNINGS also open on Saturday
#   mornings (no lunch break: the demo's history books across noon);
# - no hourly price (面议, or per sample): staff run the samples (委托测试), so weekdays 09:00–17:00
#   (on the hour slots), each request approved once the price is agreed, with a day's notice.
# Only instruments shared outside their organisation and in service get hours; internal-only
# and broken ones get none, so they show no free time to outsiders. Every request needs the
# manager's approval in the demo (its history records an approval for each booking).
# Hours and policies are written only where none exist: a second load, or a manager's own
# changes since, are left as they are.
SATURDAY_MORNINGS = {"SWUST-2022-0056"}


def _demo_booking_rules(instruments) -> None:
    from datetime import time

    from sharing.bookings.models import BookingPolicy, OpeningHours
    from sharing.bookings.rules import NOT_RUNNING

    shared = instruments.filter(sharing_mode=Instrument.SharingMode.EXTERNAL).exclude(
        running_status__in=NOT_RUNNING
    )
    for instrument in shared:
        hourly = "元/小时" in instrument.fee_text
        _, created = BookingPolicy.objects.get_or_create(
            instrument=instrument,
            defaults={"slot_minutes": 30, "min_notice_minutes": 60}
            if hourly
            else {"slot_minutes": 60, "min_minutes": 60, "min_notice_minutes": 24 * 60},
        )
        if created and not instrument.approval_required:
            instrument.approval_required = True
            instrument.save(update_fields=["approval_required"])
        if instrument.opening_hours.exists():
            continue
        # On the policy's own slot grid (the console refuses hours off it): by the hour 09–17.
        opens, closes = (time(8, 30), time(17, 30)) if hourly else (time(9, 0), time(17, 0))
        hours = [(day, opens, closes) for day in range(5)]
        if instrument.internal_code in SATURDAY_MORNINGS:
            hours.append((5, time(9, 0), time(12, 0)))
        OpeningHours.objects.bulk_create(
            OpeningHours(instrument=instrument, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in hours
        )


def _demo_vouchers(regions, users) -> int:
    """One voucher per demo researcher's organisation, issued by its region and accepted in both
    (创新券通用通兑)."""
    from datetime import date

    from sharing.bookings.models import Voucher
    from sharing.bookings.vouchers.services import voucher_issue

    year = timezone.localdate().year
    for user in users:
        if not user.username.startswith("researcher_"):
            continue
        code = f"DEMO-{user.organisation.region.adcode}-{year}"
        if not Voucher.objects.filter(code=code).exists():
            voucher_issue(
                issuing_region=user.organisation.region,
                organisation=user.organisation,
                amount=20000,
                valid_from=date(year, 1, 1),
                valid_until=date(year + 1, 12, 31),
                accepted_in=list(regions),
                code=code,
            )
    return Voucher.objects.filter(code__startswith="DEMO-").count()

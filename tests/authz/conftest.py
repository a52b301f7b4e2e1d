"""The people and objects of the authorisation matrix, built once per test module.

Everyone is verified in their organisation's region (Beibei and Mianyang recognise each
other), so a refusal in the matrix is about who they are, not a missing verification.

- researcher_mianyang, researcher_beibei: researchers of a Mianyang and a Beibei university,
  each with a requested booking on ``instrument`` (booking_mianyang, booking_beibei) and a
  voucher of their organisation (voucher_mianyang, voucher_beibei); researcher_mianyang also
  has an approved booking going on now (booking_now), a checked-in one (booking_checked_in),
  a completed one (booking_done), a notification and a calendar token (and a revoked one).
- manager_this manages ``instrument`` and ``instrument_b`` and works at org_lab, which also
  owns ``instrument_internal`` (internal use only); manager_other manages
  ``instrument_other``; each has uploaded an import (import_this, import_other).
- A platform, a feed source, the zone "ring", a built layout map; sessions for everyone.
- firm, tech_owner, broker_assigned, broker_other, reviewer, coordinator: one role each;
  orgadmin: the organisation administrator of a Mianyang university of its own.
- admin: a superuser (staff).
"""

import datetime
import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts.models import Organisation, Role
from portal.notifications.models import Notification
from sharing.bookings import ics
from sharing.bookings.models import Booking, Notice
from sharing.bookings.vouchers.services import voucher_issue
from sharing.catalogue.models import FeedSource, ImportJob, Instrument
from tests.authz.matrix import OPTIONAL_AREAS, PEOPLE
from tests.bookings import instrument_with_rules, local, next_weekday, regions, verified
from tests.factories import OrganisationFactory, PlatformFactory, UserFactory

PASSWORD = "correct horse battery"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _person(username, organisation, *roles, **extra):
    user = UserFactory(username=username, organisation=organisation, roles=list(roles), **extra)
    return verified(user, organisation.region)


def _booking(instrument, requester, start, end, status, *, purpose="授权矩阵测试", **extra):
    booking = Booking.objects.create(
        instrument=instrument,
        requester=requester,
        period=(start, end),
        blocked=(start, end),
        status=status,
        purpose=purpose,
        rate_category=Booking.RateCategory.OTHER_REGION,
        hourly_rate=Decimal("150.00"),
        fee_estimate=Decimal("150.00"),
        **extra,
    )
    booking.refresh_from_db()
    return booking


def _voucher(organisation, region, accepted):
    today = timezone.localdate()
    return voucher_issue(
        issuing_region=region,
        organisation=organisation,
        amount=Decimal("1000.00"),
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=365),
        accepted_in=accepted,
    )


def build_world() -> SimpleNamespace:
    bb, my = regions()
    w = SimpleNamespace(beibei=bb, mianyang=my)
    w.org_mianyang = OrganisationFactory(name="绵阳测试大学", region=my)
    w.org_beibei = OrganisationFactory(name="北碚测试大学", region=bb)
    w.org_lab = OrganisationFactory(name="仪器所属单位", region=bb)
    w.org_firm = OrganisationFactory(name="测试企业", region=bb, kind=Organisation.Kind.FIRM)

    people = {
        "researcher_mianyang": _person("researcher_mianyang", w.org_mianyang, Role.RESEARCHER),
        "researcher_beibei": _person("researcher_beibei", w.org_beibei, Role.RESEARCHER),
        "manager_this": _person("manager_this", w.org_lab, Role.INSTRUMENT_MANAGER),
        "manager_other": _person(
            "manager_other", OrganisationFactory(region=bb), Role.INSTRUMENT_MANAGER
        ),
        "firm": _person("firm", w.org_firm, Role.FIRM),
        "tech_owner": _person("tech_owner", OrganisationFactory(region=bb), Role.TECHNOLOGY_OWNER),
        "broker_assigned": _person("broker_assigned", OrganisationFactory(region=bb), Role.BROKER),
        "broker_other": _person("broker_other", OrganisationFactory(region=bb), Role.BROKER),
        "reviewer": _person("reviewer", OrganisationFactory(region=bb), Role.REVIEWER),
        "coordinator": _person("coordinator", OrganisationFactory(region=bb), Role.COORDINATOR),
        # The organisation administrator of a Mianyang university of its own (verifies its
        # members; tests/authz/matrix_onboarding.py gives it a pending sign-up and a member).
        "orgadmin": _person(
            "orgadmin",
            OrganisationFactory(name="认证测试大学", region=my),
            Role.ORGANISATION_ADMIN,
        ),
        "admin": _person(
            "admin",
            OrganisationFactory(region=bb),
            Role.ADMINISTRATOR,
            is_superuser=True,
            is_staff=True,
        ),
    }
    w.people = people
    w.password = PASSWORD
    rm, rb = people["researcher_mianyang"], people["researcher_beibei"]

    w.platform = PlatformFactory(name="测试共享平台", region=bb)
    w.instrument = instrument_with_rules(
        organisation=w.org_lab,
        managers=[people["manager_this"]],
        approval_required=True,
        closed_on_holidays=False,
    )
    w.instrument.platform = w.platform
    w.instrument.contact_phone = "13812345678"
    w.instrument.save(update_fields=["platform", "contact_phone"])
    w.instrument_b = instrument_with_rules(
        organisation=w.org_lab, managers=[people["manager_this"]], closed_on_holidays=False
    )
    # Only for its own organisation (仅供本单位内部使用): manager_this works there.
    w.instrument_internal = instrument_with_rules(organisation=w.org_lab, closed_on_holidays=False)
    w.instrument_internal.sharing_mode = Instrument.SharingMode.INTERNAL
    w.instrument_internal.save(update_fields=["sharing_mode"])
    w.instrument_other = instrument_with_rules(
        managers=[people["manager_other"]], closed_on_holidays=False
    )

    # Requests waiting for approval, on a weekday ahead; the matrix books in the afternoon.
    w.day = next_weekday(2)
    w.booking_mianyang = _booking(
        w.instrument,
        rm,
        local(w.day, "09:00"),
        local(w.day, "10:00"),
        Booking.Status.REQUESTED,
        purpose="matrix-purpose-mianyang",
    )
    w.booking_beibei = _booking(
        w.instrument,
        rb,
        local(w.day, "10:00"),
        local(w.day, "11:00"),
        Booking.Status.REQUESTED,
        purpose="matrix-purpose-beibei",
    )
    # Done, for service records and indicators: only the instrument's side may report it.
    w.day_done = w.day - datetime.timedelta(days=1)
    w.booking_done = _booking(
        w.instrument,
        rm,
        local(w.day_done, "09:00"),
        local(w.day_done, "10:00"),
        Booking.Status.COMPLETED,
        purpose="matrix-purpose-done",
    )
    now = timezone.now().replace(microsecond=0)
    w.booking_now = _booking(
        w.instrument,
        rm,
        now - datetime.timedelta(minutes=10),
        now + datetime.timedelta(minutes=50),
        Booking.Status.APPROVED,
    )
    w.booking_checked_in = _booking(
        w.instrument_b,
        rm,
        now - datetime.timedelta(minutes=40),
        now + datetime.timedelta(minutes=20),
        Booking.Status.CHECKED_IN,
        checked_in_at=now - datetime.timedelta(minutes=35),
    )

    w.voucher_mianyang = _voucher(w.org_mianyang, my, [my, bb])
    w.voucher_beibei = _voucher(w.org_beibei, bb, [bb])

    w.feed_source = FeedSource.objects.create(name="matrix-feed", location="/nonexistent.csv")
    w.import_this = ImportJob.objects.create(
        created_by=people["manager_this"], original_filename="matrix-import-this.csv"
    )
    w.import_other = ImportJob.objects.create(
        created_by=people["manager_other"], original_filename="matrix-import-other.csv"
    )

    w.notification_mianyang = Notification.objects.create(
        user=rm,
        about_type="booking",
        about_id=w.booking_mianyang.pk,
        kind=Notice.REQUESTED,
        key=f"matrix-{w.booking_mianyang.pk}",
        subject="matrix-note-mianyang",
        body="授权矩阵测试",
    )
    w.calendar_token_revoked = ics.calendar_token_rotate(user=rm)
    w.calendar_token = ics.calendar_token_rotate(user=rm)
    from portal.accounts.services import api_token_issue

    w.api_token = api_token_issue(user=rm)

    from geo.models import Zone

    square = Polygon.from_bbox((106.38, 29.78, 106.48, 29.88))
    square.srid = 4326
    w.zone = Zone.objects.create(
        code="ring",
        kind=Zone.Kind.RING,
        name="测试环",
        geometry=MultiPolygon(square, srid=4326),
        version="matrix",
    )

    w.sessions = {}
    for name, user in people.items():
        client = APIClient()
        client.force_login(user)
        w.sessions[name] = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    for name in OPTIONAL_AREAS:
        try:
            module = importlib.import_module(f"tests.authz.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.authz.{name}":
                raise
            continue
        if hasattr(module, "setup"):
            module.setup(w)
    return w


@pytest.fixture(scope="module")
def matrix_media(tmp_path_factory):
    """Uploads and the built layout map go to a folder of this module's own."""
    media = tmp_path_factory.mktemp("matrix-media")
    maps = media / "maps"
    maps.mkdir()
    (maps / "layout.html").write_text("<!doctype html><title>map</title>", encoding="utf-8")
    return media


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, matrix_media):
    """The people and objects, created in a transaction that every case's savepoint nests
    in and that is rolled back after the module: nothing leaks into other tests."""
    local_cache = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "authz"}
    }
    with (
        override_settings(
            PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=str(matrix_media), CACHES=local_cache
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module", autouse=True)
def unthrottled():
    """The matrix makes hundreds of calls as a dozen people: throttles would answer 429."""
    from rest_framework.views import APIView

    rates = dict(django_settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES") or {})
    unlimited = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1000000/second"),
    }
    with override_settings(REST_FRAMEWORK=unlimited), pytest.MonkeyPatch.context() as patch:
        # Views bind their throttle classes (and those their rates) at import time.
        patch.setattr(APIView, "get_throttles", lambda self: [])
        yield


@pytest.fixture
def client_as(world, db):
    """A client signed in as the named person, by session (pages and the API both see it).

    The sessions are made once with the world, through force_login, which skips the
    authentication backends (django-axes wants a request there) and the login signal's
    bookkeeping on every case."""

    def make(person: str) -> APIClient:
        client = APIClient()
        if person != "anonymous":
            client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[person]
        return client

    return make


def _person_fixture(name):
    @pytest.fixture(name=name)
    def fixture(world, db):
        return None if name == "anonymous" else world.people[name]

    return fixture


for _name in PEOPLE:
    globals()[_name] = _person_fixture(_name)

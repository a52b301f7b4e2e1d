"""The list answers built through portal.api.represent (fields built once per thread) and the
choice labels of ChoiceLabelField say exactly what DRF's freshly built serializers and Django's
get_<field>_display() said, for every reader and in both languages."""

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from portal.api.represent import represent
from sharing.bookings.api.booking_serializers import BookingSerializer
from sharing.bookings.models import Booking
from sharing.catalogue.api import InstrumentSerializer, _context
from sharing.catalogue.models import Instrument, Platform
from sharing.catalogue.selectors import instrument_search
from tests.factories import InstrumentFactory, PlatformFactory, UserFactory, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    platform = PlatformFactory()
    InstrumentFactory(
        platform=platform,
        location=Point(106.43, 29.82, srid=4326),
        contact_name="王老师",
        contact_phone="023-68250000",
        rate_other_region="120.00",
        running_status=Instrument.RunningStatus.NORMAL,
    )
    InstrumentFactory(organisation__region=mianyang(), purpose="", rate_firm=None)
    InstrumentFactory(running_status=Instrument.RunningStatus.AWAITING_REPAIR, platform=platform)
    return Platform.objects.get(pk=platform.pk)


class _Request:
    def __init__(self, user):
        self.user = user


def _readers():
    from django.contrib.auth.models import AnonymousUser

    return [AnonymousUser(), UserFactory(), UserFactory(organisation__region=mianyang())]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_instrument_rows_are_those_of_a_fresh_serializer(catalogue, language):
    for reader in _readers():
        request = _Request(reader)
        rows = list(instrument_search(user=reader, q=None))
        assert len(rows) == 3
        with translation.override(language):
            fresh = InstrumentSerializer(rows, many=True, context=_context(request)).data
            # Twice: the kept serializer must not remember the previous reader's context.
            for _ in range(2):
                lean = represent(InstrumentSerializer, rows, context=_context(request))
                assert lean == [dict(row) for row in fresh]


def test_a_kept_serializer_masks_contacts_for_each_reader_anew(catalogue):
    from django.contrib.auth.models import AnonymousUser

    member = UserFactory()
    rows = list(instrument_search(user=member, q=None).filter(contact_name="王老师"))
    seen = represent(InstrumentSerializer, rows, context=_context(_Request(member)))
    hidden = represent(InstrumentSerializer, rows, context=_context(_Request(AnonymousUser())))
    assert seen[0]["contact_phone"] == "023-68250000"
    assert hidden[0]["contact_phone"] != "023-68250000"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_those_of_get_display(language):
    with translation.override(language):
        from portal.api.serializers import ChoiceLabelField

        cases = [
            (Instrument, "running_status", Instrument.RunningStatus.values),
            (Instrument, "sharing_mode", Instrument.SharingMode.values),
            (Instrument, "purpose", [*Instrument.Purpose.values, ""]),
            (Platform, "kind", Platform.Kind.values),
            (Booking, "status", Booking.Status.values),
        ]
        for model, name, values in cases:
            field = ChoiceLabelField(name)
            for value in values:
                thing = model(**{name: value})
                expected = getattr(thing, f"get_{name}_display")()
                assert field.get_attribute(thing) == expected, (model, name, value)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_booking_rows_are_those_of_a_fresh_serializer(api, language):
    from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

    _bb, my = regions()
    instrument = instrument_with_rules(closed_on_holidays=False, approval_required=True)
    researcher = person("researcher", region=my)
    api.force_authenticate(researcher)
    day = next_weekday(2)
    for start, end in (("09:00", "10:00"), ("11:00", "12:30")):
        answer = api.post(
            "/api/bookings/",
            {
                "instrument": instrument.pk,
                "start": local(day, start).isoformat(),
                "end": local(day, end).isoformat(),
                "purpose": "XRD 物相分析",
            },
            format="json",
        )
        assert answer.status_code == 201, answer.content
    rows = list(Booking.objects.filter(requester=researcher).order_by("id"))
    with translation.override(language):
        fresh = [dict(row) for row in BookingSerializer(rows, many=True).data]
        assert represent(BookingSerializer, rows, context={}) == fresh
        answer = api.get("/api/bookings/", HTTP_ACCEPT_LANGUAGE=language)
        # The list is built from a .values() query (portal.api.lean): the same bytes, newest
        # first, with the next link of a one-page list.
        newest_first = [dict(row) for row in BookingSerializer(rows[::-1], many=True).data]
        expected = JSONRenderer().render({"next": None, "results": newest_first})
    assert answer.content == expected
    listed = answer.json()["results"]
    assert sorted(row["id"] for row in listed) == [row.pk for row in rows]


def test_every_choice_label_field_names_a_field_with_choices():
    """A ChoiceLabelField over a field without choices would answer the raw code; walk every
    serializer the API declares and look each one up."""
    import importlib
    import pkgutil

    from rest_framework import serializers

    from portal.api.serializers import ChoiceLabelField, choice_labels

    for package in ("sharing", "geo", "portal"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in module.name or ".tests" in module.name:
                continue
            importlib.import_module(module.name)
    checked = 0

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in set(subclasses(serializers.ModelSerializer)):
        model = getattr(getattr(cls, "Meta", None), "model", None)
        for field in cls._declared_fields.values():
            if isinstance(field, ChoiceLabelField) and model is not None:
                assert choice_labels(model, field.choice_name), (cls, field.choice_name)
                checked += 1
    assert checked >= 5


def test_a_notification_says_its_kinds_label(api):
    from portal.notifications.services import notify

    member = UserFactory()
    notify(kind="approved", user=member, subject="预约已批准", body="…", ref="lean-1")
    api.force_authenticate(member)
    row = api.get("/api/notifications/").json()["results"][0]
    assert row["kind"] == "approved"
    assert row["kind_label"] not in ("", "approved")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_listing_pages_are_those_of_a_fresh_serializer(client, language):
    """The kept listing serializer answers each reader at their own tier: teaser, member,
    full (owner, reviewer), as a freshly built one does."""
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.test import APIRequestFactory

    from portal.accounts.models import Role
    from sharing.techmarket import selectors
    from sharing.techmarket.api.listings import ListingSerializer
    from sharing.techmarket.models import Patent
    from tests.techmarket.factories import FirmUserFactory, OwnerFactory, TechListingFactory

    owner = OwnerFactory()
    mine = TechListingFactory(created_by=owner, title="碳纤维复合材料自动铺放技术")
    theirs = TechListingFactory(created_by=OwnerFactory(), title="北斗定位终端")
    # Patents show from the member tier on: the page prefetches them only where a tier shows them.
    for listing, number in ((mine, "ZL201910000001.1"), (theirs, "ZL201910000002.2")):
        Patent.objects.create(
            listing=listing,
            number=number,
            legal_status=Patent.LegalStatus.values[0],
            holder="某大学",
        )
    reviewer = UserFactory(roles=[Role.REVIEWER])
    readers = [None, FirmUserFactory(), owner, reviewer, None]
    for reader in readers:
        client.logout()
        if reader is not None:
            client.force_login(reader)
        answer = client.get(
            "/api/tech/listings/", {"page_size": 20}, HTTP_ACCEPT_LANGUAGE=language
        ).json()
        request = APIRequestFactory().get("/api/tech/listings/")
        request.user = reader or AnonymousUser()
        with translation.override(language):
            rows = selectors.listing_search(user=request.user).order_by("-published_at", "-id")
            fresh = ListingSerializer(list(rows), many=True, context={"request": request}).data
        assert answer["results"] == [dict(row) for row in fresh]
        assert {row["tier"] for row in answer["results"]}
        if reader is not None:
            assert all(row["patents"] for row in answer["results"])

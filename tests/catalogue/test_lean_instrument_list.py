"""GET /api/instruments/ builds its rows from a ``.values()`` query (portal.api.lean); the bytes
it answers are those of InstrumentSerializer over the model rows of the same page, for every
reader (masked contacts, the rate that applies), in both languages, in every ordering and on a
following page."""

import datetime
import random
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from portal.accounts.models import Organisation
from sharing.catalogue.api import INSTRUMENT_LEAN, InstrumentSerializer, _context
from sharing.catalogue.models import Instrument
from sharing.catalogue.selectors import instrument_search
from tests.factories import (
    InstrumentFactory,
    OrganisationFactory,
    PlatformFactory,
    UserFactory,
    mianyang,
)

pytestmark = pytest.mark.django_db

# Doubles whose shortest spelling is long (ST_X/ST_Y must give GEOS's x and y exactly).
AWKWARD = (106.42656512399999, 31.430539650231022)


@pytest.fixture
def catalogue():
    rng = random.Random(17)
    platform = PlatformFactory(name='平台 "引号" <b>')
    home = OrganisationFactory(name="自家单位")
    InstrumentFactory(
        organisation=home,
        platform=platform,
        name="<script>x</script>显微镜\u2028",
        location=Point(*AWKWARD, srid=4326),
        contact_name="王老师",
        contact_phone="023-68250000",
        contact_email="wang@example.cn",
        original_value=Decimal("1234567.50"),
        in_service_date=datetime.date(2019, 3, 1),
        disciplines=["化学", "物理"],
        rate_internal=Decimal("80"),
        rate_same_region=Decimal("100.5"),
        rate_other_region=Decimal("120.00"),
        rate_firm=Decimal("300"),
        annual_running_hours=Decimal("1200.5"),
        running_status=Instrument.RunningStatus.NORMAL,
        purpose=Instrument.Purpose.values[0],
        booking_url="https://example.cn/book?a=1&b=2",
    )
    InstrumentFactory(organisation__region=mianyang(), purpose="", rate_firm=None, location=None)
    statuses, modes = Instrument.RunningStatus.values, Instrument.SharingMode.values
    for n in range(25):
        InstrumentFactory(
            name=f"显微镜{n:02d}" if n % 2 else f"光谱仪{n:02d}",
            model=f"M-{n}",
            organisation=home if n % 5 == 0 else OrganisationFactory(),
            platform=platform if n % 3 == 0 else None,
            running_status=statuses[n % len(statuses)],
            sharing_mode=modes[n % len(modes)],
            original_value=None if n % 4 == 0 else Decimal(rng.randint(1, 10**7)) / 100,
            in_service_date=None if n % 3 else datetime.date(2010 + n % 10, 1 + n % 12, 1),
            location=Point(rng.uniform(106.3, 106.6), rng.uniform(29.7, 29.9), srid=4326),
            rate_other_region=Decimal(rng.randint(0, 99999)) / 100,
            rate_firm=None if n % 2 else Decimal("55.1"),
            contact_name=f"联系人{n}",
            contact_phone=f"1380000{n:04d}",
        )
    return home


def _readers(home):
    firm = UserFactory(organisation=OrganisationFactory(kind=Organisation.Kind.FIRM))
    return [
        AnonymousUser(),
        UserFactory(organisation=home),
        UserFactory(organisation__region=mianyang()),
        firm,
    ]


class _Request:
    def __init__(self, user):
        self.user = user


def _serialized(reader, body: dict, params: dict, language: str) -> bytes:
    """The same page through InstrumentSerializer over model rows, rendered as the API does."""
    ids = [row["id"] for row in body["results"]]
    rows = {i.pk: i for i in instrument_search(user=reader, q=params.get("q")).filter(pk__in=ids)}
    with translation.override(language):
        results = InstrumentSerializer(
            [rows[i] for i in ids], many=True, context=_context(_Request(reader))
        ).data
        return JSONRenderer().render({"next": body["next"], "results": results})


PARAMS = [
    {},
    {"page_size": 7},
    {"q": "显微镜"},
    {"q": "显微镜", "page_size": 3},
    {"ordering": "name", "page_size": 5},
    {"ordering": "-original_value", "page_size": 6},
    {"ordering": "in_service_date", "page_size": 6},
    {"ordering": "-id", "page_size": 4},
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_answers_the_serializers_bytes_on_every_page(api, catalogue, language):
    for reader in _readers(catalogue):
        if reader.is_authenticated:
            api.force_authenticate(reader)
        else:
            api.force_authenticate(None)
        for params in PARAMS:
            url, query, pages = "/api/instruments/", dict(params), 0
            while url and pages < 3:
                answer = api.get(url, query, HTTP_ACCEPT_LANGUAGE=language)
                assert answer.status_code == 200, answer.content
                body = answer.json()
                assert body["results"], params
                assert answer.content == _serialized(reader, body, params, language), params
                url, query, pages = body["next"], {}, pages + 1


def test_a_broad_search_answers_the_serializers_bytes_too(api, catalogue):
    """A search expected to match more than RANKED_MAX instruments lists them by id with a
    constant rank, annotated before the lean columns are chosen."""
    from sharing.catalogue import selectors

    api.force_authenticate(UserFactory())
    with mock.patch.object(selectors, "RANKED_MAX", 0):
        url, query, pages = "/api/instruments/", {"q": "显微镜", "page_size": 4}, 0
        while url and pages < 3:
            answer = api.get(url, query)
            assert answer.status_code == 200, answer.content
            body = answer.json()
            ids = [row["id"] for row in body["results"]]
            assert ids == sorted(ids)
            reader = answer.wsgi_request.user
            assert answer.content == _serialized(reader, body, {"q": "显微镜"}, "zh-hans")
            url, query, pages = body["next"], {}, pages + 1
    assert pages == 3


def test_it_masks_contacts_for_anonymous_readers_only(api, catalogue):
    seen = api.get("/api/instruments/", {"q": "script"}).json()["results"]
    assert seen and seen[0]["contact_phone"] != "023-68250000"
    api.force_authenticate(UserFactory())
    seen = api.get("/api/instruments/", {"q": "script"}).json()["results"]
    assert seen[0]["contact_phone"] == "023-68250000"
    assert seen[0]["location"] == {"lon": AWKWARD[0], "lat": AWKWARD[1]}


def test_every_column_the_plan_reads_is_a_field_or_an_annotation(catalogue):
    rows = list(INSTRUMENT_LEAN.queryset(instrument_search(user=None)).order_by("id")[:2])
    assert set(INSTRUMENT_LEAN.columns()) <= set(rows[0])

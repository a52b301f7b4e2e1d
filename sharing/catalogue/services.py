from django.contrib.gis.geos import Point
from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Value

from portal.accounts.models import Organisation, Region
from sharing.catalogue.models import Instrument, InstrumentClass, Platform
from sharing.catalogue.text import weighted_texts


@transaction.atomic
def platform_upsert(
    *,
    name: str,
    kind: str,
    region: Region,
    level: str = "",
    host: Organisation | None = None,
    name_en: str = "",
    location: Point | None = None,
    location_confidence: str = "",
    location_note: str = "",
    place_key: str | None = None,
) -> Platform:
    platform = Platform.objects.filter(place_key=place_key).first() if place_key else None
    if platform is None:
        platform = Platform.objects.filter(name=name).first() or Platform(name=name)
    platform.name = name
    platform.kind = kind
    platform.region = region
    platform.level = level
    platform.host = host
    platform.name_en = name_en
    platform.location = location
    platform.location_confidence = location_confidence if location else ""
    platform.location_note = location_note
    platform.place_key = place_key
    platform.full_clean()
    platform.save()
    return platform


def instrument_search_vector(instrument: Instrument, *, category_name: str = ""):
    """The search vector as an expression; the importer builds the same in its own SQL."""
    texts = weighted_texts(
        name=instrument.name,
        name_en=instrument.name_en,
        internal_code=instrument.internal_code,
        category_code=instrument.category_code,
        model=instrument.model,
        manufacturer=instrument.manufacturer,
        category=category_name,
        functions=instrument.functions,
        services=instrument.services,
        specifications=instrument.specifications,
    )
    parts = [SearchVector(Value(texts[w]), config="simple", weight=w) for w in "ABCD"]
    return parts[0] + parts[1] + parts[2] + parts[3]


@transaction.atomic
def instrument_save(*, instrument: Instrument) -> Instrument:
    """Validate and save an instrument edited by hand (admin, tests); keeps search in step."""
    if instrument.category_code and not instrument.category_id:
        instrument.category_id = instrument.category_code[:2]
    instrument.full_clean()
    instrument.save()
    category = InstrumentClass.objects.filter(pk=instrument.category_id).first()
    Instrument.objects.filter(pk=instrument.pk).update(
        search_vector=instrument_search_vector(
            instrument, category_name=category.name if category else ""
        )
    )
    instrument.refresh_from_db(fields=["search_vector"])
    return instrument


@transaction.atomic
def platform_match_or_create(*, name: str, region_id: int) -> Platform:
    """A feed names the platform an instrument is shared through; create it when new."""
    platform = Platform.objects.filter(name=name).first()
    if platform is None:
        platform = Platform(name=name, region_id=region_id, kind=Platform.Kind.SHARING_PLATFORM)
        platform.full_clean()
        platform.save()
    return platform

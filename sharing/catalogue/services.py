from django.contrib.gis.geos import Point
from django.db import transaction

from portal.accounts.models import Organisation, Region
from sharing.catalogue.models import Instrument, InstrumentClass, Platform
from sharing.catalogue.text import instrument_document


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


def instrument_search_document(instrument: Instrument, *, category_name: str = "") -> str:
    """The tsvector literal for an instrument; the importer builds the same from feed rows."""
    return instrument_document(
        name=instrument.name,
        name_en=instrument.name_en,
        model=instrument.model,
        manufacturer=instrument.manufacturer,
        category=category_name,
        functions=instrument.functions,
        services=instrument.services,
        specifications=instrument.specifications,
    )


@transaction.atomic
def instrument_save(*, instrument: Instrument) -> Instrument:
    """Validate and save an instrument edited by hand (admin, tests); keeps search in step."""
    if instrument.category_code and not instrument.category_id:
        instrument.category_id = instrument.category_code[:2]
    instrument.full_clean()
    category = InstrumentClass.objects.filter(pk=instrument.category_id).first()
    instrument.search_vector = instrument_search_document(
        instrument, category_name=category.name if category else ""
    )
    instrument.save()
    return instrument

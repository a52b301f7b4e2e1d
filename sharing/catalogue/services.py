from django.contrib.gis.geos import Point
from django.db import transaction

from portal.accounts.models import Organisation, Region
from sharing.catalogue.models import Platform


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

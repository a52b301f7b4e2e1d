"""Loading the real places named in the plan (data/places.csv) as organisations and platforms.

Zone nodes (corridor and belt nodes and links) are not organisations or platforms; the geo app
reads them from the same file when it builds the zones.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction

from portal.accounts.models import Organisation, Region
from portal.accounts.services import organisation_upsert
from sharing.catalogue.models import Platform
from sharing.catalogue.services import platform_upsert

PLACES_CSV = Path(settings.BASE_DIR) / "data" / "places.csv"

ORGANISATION_KINDS = {
    "university": Organisation.Kind.UNIVERSITY,
    "research_institute": Organisation.Kind.RESEARCH_INSTITUTE,
}
PLATFORM_KINDS = {
    "sharing_platform": Platform.Kind.SHARING_PLATFORM,
    "new_rd_institute": Platform.Kind.NEW_RD_INSTITUTE,
    "incubator": Platform.Kind.INCUBATOR,
    "industrial_park": Platform.Kind.INDUSTRIAL_PARK,
}
# Known facts the CSV does not carry: who hosts a platform and at what level it was recognised.
PLATFORM_HOSTS = {"swu_iti": "swu", "bb_unisci_park": "swu"}
PLATFORM_LEVELS = {
    "instr_share_sc": Platform.Level.PROVINCIAL,
    "instr_share_cq": Platform.Level.PROVINCIAL,
    "dual_use_cq": Platform.Level.NATIONAL,
    "bb_unisci_park": Platform.Level.NATIONAL,
}


@dataclass
class PlacesLoaded:
    organisations: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_places(path: Path = PLACES_CSV) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _point(row: dict) -> Point:
    return Point(float(row["lon"]), float(row["lat"]), srid=4326)


@transaction.atomic
def places_load(*, path: Path = PLACES_CSV) -> PlacesLoaded:
    regions = {region.code: region for region in Region.objects.all()}
    rows = read_places(path)
    loaded = PlacesLoaded()
    organisations: dict[str, Organisation] = {}

    for row in rows:
        region = regions.get(row["region"])
        kind = row["kind"]
        is_seat = kind == "landmark" and row["name_zh"].endswith("政府")
        if region is None or not (kind in ORGANISATION_KINDS or is_seat):
            continue
        org = organisation_upsert(
            name=row["name_zh"],
            name_en=row["name_en"],
            kind=ORGANISATION_KINDS.get(kind, Organisation.Kind.GOVERNMENT),
            region=region,
            location=_point(row),
            location_confidence=row["confidence"],
            place_key=row["key"],
        )
        organisations[row["key"]] = org
        loaded.organisations.append(row["key"])

    for row in rows:
        region = regions.get(row["region"])
        kind = row["kind"]
        if region is None or kind not in PLATFORM_KINDS:
            if row["key"] not in organisations:
                loaded.skipped.append(row["key"])
            continue
        host = organisations.get(PLATFORM_HOSTS.get(row["key"], ""))
        if kind == "sharing_platform":
            # A sharing centre is also the body that runs it: staff belong to it.
            host = organisation_upsert(
                name=row["name_zh"],
                name_en=row["name_en"],
                kind=Organisation.Kind.SERVICE_BODY,
                region=region,
                location=_point(row),
                location_confidence=row["confidence"],
                place_key=f"{row['key']}_body",
            )
            organisations[row["key"]] = host
        platform_upsert(
            name=row["name_zh"],
            name_en=row["name_en"],
            kind=PLATFORM_KINDS[kind],
            level=PLATFORM_LEVELS.get(row["key"], ""),
            region=region,
            host=host,
            location=_point(row),
            location_confidence=row["confidence"],
            location_note=row["note"],
            place_key=row["key"],
        )
        loaded.platforms.append(row["key"])
    return loaded

from django.contrib.gis.geos import Point
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Value

from portal.accounts.models import Organisation, Region
from sharing.catalogue.models import Instrument, InstrumentClass, Platform
from sharing.catalogue.text import SEARCH_VECTOR_SQL, weighted_texts


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


_TEXT_FIELDS = [
    "name",
    "name_en",
    "internal_code",
    "category_code",
    "model",
    "manufacturer",
    "functions",
    "services",
    "specifications",
]
# Assembled from the model's table name and text.py's constant, never from input.
_REFRESH_SQL = f"""
    UPDATE {Instrument._meta.db_table} i
       SET search_vector = {SEARCH_VECTOR_SQL.format(a="b.a", b="b.b", c="b.c", d="b.d")}
      FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
           AS b(id, a, b, c, d)
     WHERE i.id = b.id"""  # noqa: S608


@transaction.atomic
def _refresh_batch(ids: list[int], texts: list[dict[str, str]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [ids, *([t[w] for t in texts] for w in "ABCD")])


def search_vectors_refresh(*, batch_size: int = 2000) -> int:
    """Rebuild every instrument's search vector from its fields, as instrument_save and the
    importer write it now: after a change to what the index holds (text.weighted_texts), rows
    written before it are brought up to date. One transaction per batch, so a long run holds
    no lock for long and can be interrupted; returns how many rows were rewritten."""
    classes = dict(InstrumentClass.objects.values_list("code", "name"))
    done, after = 0, 0
    while True:
        rows = list(
            Instrument.objects.filter(pk__gt=after)
            .order_by("pk")
            .values("id", "category_id", *_TEXT_FIELDS)[:batch_size]
        )
        if not rows:
            return done
        after = rows[-1]["id"]
        ids = [row.pop("id") for row in rows]
        texts = [
            weighted_texts(category=classes.get(row.pop("category_id"), ""), **row) for row in rows
        ]
        _refresh_batch(ids, texts)
        done += len(rows)

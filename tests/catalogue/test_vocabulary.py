"""The search vocabulary (sharing/catalogue/vocabulary.py): every name of every entry finds what
the entry names, whichever name the record itself uses."""

from collections import Counter

import pytest

from sharing.catalogue.selectors import instrument_search
from sharing.catalogue.vocabulary import BRANDS, TERMS, compact
from tests.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


def _found(query: str) -> set[int]:
    return set(instrument_search(user=None, q=query).values_list("pk", flat=True))


def test_no_name_belongs_to_two_entries():
    keys = Counter(key for entry in (*TERMS, *BRANDS) for key in {compact(n) for n in entry})
    assert [key for key, count in keys.items() if count > 1] == []


def test_every_name_of_a_term_finds_the_instrument_its_chinese_name_names():
    named = {
        names[0]: InstrumentFactory(name=names[0], name_en="", model="", manufacturer="")
        for names in TERMS
    }
    misses = [
        (name, names[0])
        for names in TERMS
        for name in names
        if named[names[0]].pk not in _found(name)
    ]
    assert misses == []


def test_every_name_of_a_maker_finds_the_instruments_recorded_under_any_of_its_names():
    makers = {
        (n, name): InstrumentFactory(name="仪器", manufacturer=name)
        for n, names in enumerate(BRANDS)
        for name in names
    }
    misses = [
        (query, name)
        for n, names in enumerate(BRANDS)
        for query in names
        for name in names
        if makers[n, name].pk not in _found(query)
    ]
    assert misses == []


def test_a_maker_s_name_inside_the_recorded_one_is_found():
    recorded = InstrumentFactory(name="仪器", manufacturer="布鲁克（北京）科技有限公司")
    assert recorded.pk in _found("Bruker")


def test_refresh_search_vectors_brings_rows_indexed_before_up_to_date():
    from io import StringIO

    from django.core.management import call_command
    from django.db.models import Value

    from sharing.catalogue.models import Instrument

    old = InstrumentFactory(name="场发射扫描电子显微镜", model="SU8020", internal_code="YQ-0001")
    other = InstrumentFactory(name="透射电子显微镜", model="JEM-F200")
    # As the index was before: the names only, no model spellings and no codes.
    Instrument.objects.update(search_vector=Value(None))
    assert old.pk not in _found("YQ-0001")
    out = StringIO()
    call_command("refresh_search_vectors", "--batch-size", "1", stdout=out)
    assert "2" in out.getvalue()
    assert _found("YQ-0001") == {old.pk}
    assert _found("SU 8020") == {old.pk}
    assert _found("JEM F200") == {other.pk}

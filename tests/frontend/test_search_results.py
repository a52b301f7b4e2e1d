"""A search result says whether the instrument can be booked now, at which rate for the reader,
and in which region; a filter keeps only what can be booked."""

import pytest

from tests.bookings import instrument_with_rules, person
from tests.factories import InstrumentFactory, beibei

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(db):
    open_one = instrument_with_rules()
    open_one.name = "可约的扫描电镜"
    open_one.save()
    closed = InstrumentFactory(name="没有开放时间的电镜", region=beibei(), rate_other_region=None)
    return open_one, closed


def _row(page: str, name: str) -> str:
    start = page.index(name)
    return page[start : page.index("</tr>", start)]


def test_results_say_whether_each_can_be_booked_and_at_which_rate(client, two):
    open_one, closed = two
    page = client.get("/instruments/").content.decode()
    row = _row(page, open_one.name)
    assert f'href="/instruments/{open_one.pk}/book/"' in row and "可预约" in row
    assert "150" in row  # visitors see the cross-region rate
    assert "暂不可预约" in _row(page, closed.name) and "面议" in _row(page, closed.name)
    assert "北碚" in row


def test_a_signed_in_reader_sees_their_own_rate(client, two):
    open_one, _ = two
    client.force_login(person("local", organisation=open_one.organisation))
    assert "50" in _row(client.get("/instruments/").content.decode(), open_one.name)


def test_the_bookable_filter_keeps_only_what_can_be_booked(client, two):
    open_one, closed = two
    page = client.get("/instruments/", {"bookable": "on"}).content.decode()
    assert open_one.name in page and closed.name not in page


def test_a_withdrawn_or_out_of_service_instrument_is_not_bookable(client, two):
    open_one, _ = two
    open_one.running_status = "awaiting_repair"
    open_one.save()
    page = client.get("/instruments/", {"bookable": "on"}).content.decode()
    assert open_one.name not in page

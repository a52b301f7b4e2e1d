"""服务方式 and 项目名称 of a booking: chosen when booking (page, API, service), kept on the
booking, refused clearly when wrong, with nothing written."""

import pytest

from portal.errors import RuleBroken
from sharing.bookings import services
from sharing.bookings.models import Booking
from tests.bookings import instrument_with_rules, local, next_weekday, person, regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def instrument(db):
    regions()
    return instrument_with_rules(closed_on_holidays=False)


@pytest.fixture
def researcher(db):
    _bb, my = regions()
    return person("researcher", region=my)


def payload(instrument, **extra):
    day = next_weekday(2)
    return {
        "instrument": instrument.pk,
        "start": local(day, "09:00").isoformat(),
        "end": local(day, "10:00").isoformat(),
        "purpose": "XRD 物相分析",
        **extra,
    }


def test_a_booking_is_self_operated_without_a_project_unless_told(api, instrument, researcher):
    api.force_authenticate(researcher)
    response = api.post("/api/bookings/", payload(instrument), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["service_mode"], body["service_mode_label"]) == ("self_operated", "自主上机")
    assert (body["project_name"], body["walk_up"]) == ("", False)


def test_the_api_keeps_the_service_mode_and_project(api, instrument, researcher):
    api.force_authenticate(researcher)
    data = payload(instrument, service_mode="commissioned", project_name="  绵碚合作专项  ")
    response = api.post("/api/bookings/", data, format="json")
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    assert (booking.service_mode, booking.project_name) == ("commissioned", "绵碚合作专项")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"service_mode": "telepathy"}, "service_mode"),
        ({"project_name": "x" * 201}, "project_name"),
        ({"project_name": "第一行\n第二行"}, "project_name"),
    ],
)
def test_the_api_refuses_a_bad_service_mode_or_project_and_writes_nothing(
    api, instrument, researcher, extra, field
):
    api.force_authenticate(researcher)
    response = api.post("/api/bookings/", payload(instrument, **extra), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Booking.objects.exists()


def test_the_service_refuses_a_service_mode_that_is_not_one(instrument, researcher):
    day = next_weekday(2)
    with pytest.raises(RuleBroken) as refused:
        services.booking_create(
            requester=researcher,
            instrument=instrument,
            start=local(day, "09:00"),
            end=local(day, "10:00"),
            purpose="测试",
            service_mode="telepathy",
        )
    assert refused.value.rule == "invalid_service_mode"
    assert not Booking.objects.exists()


def test_a_series_carries_the_service_mode_and_project(api, instrument, researcher):
    api.force_authenticate(researcher)
    data = payload(instrument, weeks=2, service_mode="collaborative", project_name="联合攻关")
    response = api.post("/api/bookings/series/", data, format="json")
    assert response.status_code == 201, response.content
    assert set(Booking.objects.values_list("service_mode", "project_name")) == {
        ("collaborative", "联合攻关")
    }


def test_the_booking_form_offers_the_service_modes_and_a_project_field(client, instrument):
    client.force_login(person("someone"))
    html = client.get(f"/instruments/{instrument.pk}/book/").content.decode()
    assert 'name="service_mode"' in html and 'name="project_name"' in html
    for label in ("自主上机", "委托测试", "合作研究"):
        assert label in html

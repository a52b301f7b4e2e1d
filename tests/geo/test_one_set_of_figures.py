"""The map, the dashboard and the indicators API count the same thing, on the demo data.

Definitions: sharing.bookings.indicators (completed bookings starting in the Asia/Shanghai
calendar year; hours check-in to check-out; cross-region when the requester's organisation's
region is not the instrument's; voucher use = redemptions minus refunds of those bookings).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from geo.analysis.figures import compute
from geo.map.data import read_map_data
from portal.accounts.models import User
from sharing.bookings.indicators import DEFINITIONS, voucher_entries_in_year


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEBUG = True
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "f"}
    }
    from demo.loader import demo_load

    demo_load()
    # The history covers the 52 weeks before today; a month back is always inside it.
    return (timezone.localdate() - datetime.timedelta(days=30)).year


def test_map_dashboard_and_indicators_agree_on_the_demo_year(demo, api, client):
    year = demo
    coordinator = User.objects.get(username="coordinator_demo")

    dashboard = compute(year)["totals"]
    api.force_authenticate(coordinator)
    rows = api.get("/api/indicators/", {"level": "region", "year": year}).json()["results"]
    flows = read_map_data(year).flows

    bookings = sum(r["bookings"] for r in rows)
    hours = sum(Decimal(r["effective_hours"]) for r in rows)
    cross_hours = sum(Decimal(r["cross_region_hours"]) for r in rows)
    assert bookings > 0 and hours > 0 and cross_hours > 0
    assert dashboard["bookings"] == bookings
    assert Decimal(str(dashboard["hours"])) == hours
    assert Decimal(str(dashboard["cross_region_hours"])) == cross_hours
    # The map's flows are the dashboard's cross-region bookings, both directions.
    assert {(f.source, f.target) for f in flows} == {("mianyang", "beibei"), ("beibei", "mianyang")}
    assert sum(f.count for f in flows) == dashboard["cross_region_bookings"] > 0
    assert Decimal(str(round(sum(f.hours for f in flows), 2))) == cross_hours
    assert 0 < dashboard["cross_region_share_bookings"] < 1
    # Voucher use: the redemptions on the year's completed bookings.
    ledger = sum(e.amount for e in voucher_entries_in_year(year))
    assert dashboard["voucher_use"] == float(ledger) > 0

    # The page shows the same figures, each with what it counts.
    client.force_login(coordinator)
    html = client.get(f"/dashboard/?year={year}").content.decode()
    assert f"<b>{bookings}</b>" in html
    with translation.override("zh-hans"):
        for text in DEFINITIONS.values():
            assert str(text) in html

    # Month by month, with the same definitions: the months add up to the year.
    from sharing.bookings.selectors import monthly_usage

    months = monthly_usage(year=year)
    assert [m["month"] for m in months] == list(range(1, 13))
    assert sum(m["bookings"] for m in months) == bookings
    assert sum(m["cross_region"] for m in months) == dashboard["cross_region_bookings"]
    month_hours = sum((m["hours"] for m in months if m["hours"]), datetime.timedelta())
    assert Decimal(str(round(month_hours.total_seconds() / 3600, 2))) == hours
    assert 'id="months"' in html

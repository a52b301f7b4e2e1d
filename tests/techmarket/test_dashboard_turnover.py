"""Coordinators see 技术合同成交额 per region on the dashboard, registered contracts only."""

from decimal import Decimal

import pytest
from django.utils import timezone

from portal.accounts.models import Role
from sharing.techmarket import services
from sharing.techmarket.models import Inquiry
from tests.factories import UserFactory
from tests.frontend.test_dashboard import cells, row


@pytest.fixture
def registered(published, firm, broker, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    inquiry = services.inquiry_create(user=firm, listing=published)
    for stage in (Inquiry.Stage.CONTACTED, Inquiry.Stage.NDA_SIGNED, Inquiry.Stage.NEGOTIATING):
        services.inquiry_advance(user=broker, inquiry=inquiry, to=stage)
    today = timezone.localdate()
    services.contract_record(
        user=broker,
        inquiry=inquiry,
        contract_type="license",
        amount=Decimal("66.6"),
        signed_on=today,
    )
    services.contract_register(
        user=broker, inquiry=inquiry, registration_number="51070720260042", registered_on=today
    )
    return inquiry


def test_the_dashboard_shows_contract_turnover_per_region(client, registered):
    client.force_login(UserFactory(username="coord", roles=[Role.COORDINATOR]))
    html = client.get("/dashboard/").content.decode()
    assert "技术合同成交额" in html
    assert cells(row(html, "tech-region", "mianyang"))[1:3] == ["66.60", "1"]
    assert cells(row(html, "tech-region", "beibei"))[3:5] == ["66.60", "1"]

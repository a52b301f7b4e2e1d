import pytest

from portal.accounts.models import Role
from sharing.techmarket.models import BrokerProfile
from tests.factories import OrganisationFactory, UserFactory, beibei
from tests.techmarket.factories import FirmUserFactory, OwnerFactory, TechListingFactory


@pytest.fixture
def owner(db):
    return OwnerFactory(username="owner")


@pytest.fixture
def firm(db):
    return FirmUserFactory(username="firm")


@pytest.fixture
def other_firm(db):
    return FirmUserFactory(username="other_firm")


@pytest.fixture
def reviewer(db):
    return UserFactory(
        username="reviewer",
        roles=[Role.REVIEWER],
        organisation=OrganisationFactory(kind="service_body", region=beibei()),
    )


@pytest.fixture
def broker(db):
    user = UserFactory(username="broker", roles=[Role.BROKER])
    BrokerProfile.objects.create(user=user, fields=["materials"])
    return user


@pytest.fixture
def other_broker(db):
    user = UserFactory(username="other_broker", roles=[Role.BROKER])
    BrokerProfile.objects.create(user=user, fields=["electronics"])
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", roles=[Role.ADMINISTRATOR], is_superuser=True)


@pytest.fixture
def published(owner):
    return TechListingFactory(
        created_by=owner, title="碳纤维复合材料自动铺放技术", hightech_field="materials"
    )

"""Listings and needs straight into a state, with their search vectors, for tests."""

import datetime

import factory
from django.utils import timezone

from portal.accounts.models import Role
from sharing.techmarket import search
from sharing.techmarket.models import TechListing, TechNeed
from tests.factories import OrganisationFactory, UserFactory, mianyang


class OwnerFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.TECHNOLOGY_OWNER])
    organisation = factory.SubFactory(
        OrganisationFactory, kind="research_institute", region=factory.LazyFunction(mianyang)
    )


class FirmUserFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.FIRM])
    organisation = factory.SubFactory(OrganisationFactory, kind="firm")


class TechListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechListing

    title = factory.Sequence(lambda n: f"测试成果{n}")
    abstract = "一种用于测试的技术成果。"
    created_by = factory.SubFactory(OwnerFactory)
    organisation = factory.LazyAttribute(lambda o: o.created_by.organisation)
    region = factory.LazyAttribute(lambda o: o.organisation.region)
    trl = 6
    trl_evidence = "中试报告"
    hightech_field = "materials"
    transfer_modes = factory.LazyFunction(lambda: ["assignment"])
    price_negotiable = True
    contact_name = "张老师"
    contact_phone = "13800001234"
    contact_email = "zhang@example.cn"
    status = TechListing.Status.PUBLISHED
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status in ("published", "closed", "transferred") else None
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        listing = super()._create(model_class, *args, **kwargs)
        search.listing_refresh_search(listing)
        return listing


class TechNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechNeed

    title = factory.Sequence(lambda n: f"测试需求{n}")
    problem = "需要解决一个测试问题。"
    created_by = factory.SubFactory(FirmUserFactory)
    organisation = factory.LazyAttribute(lambda o: o.created_by.organisation)
    region = factory.LazyAttribute(lambda o: o.organisation.region)
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=90))
    status = TechNeed.Status.PUBLISHED
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status in ("published", "closed") else None
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        need = super()._create(model_class, *args, **kwargs)
        search.need_refresh_search(need)
        return need

import factory
from django.contrib.gis.geos import Point

from portal.accounts import uscc
from portal.accounts.models import Organisation, Region, Role, User
from sharing.catalogue.models import Instrument, Platform


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("adcode",)

    adcode = "500109"
    code = "beibei"
    name = "北碚"
    name_en = "Beibei"
    province = "重庆市"


def mianyang() -> Region:
    return RegionFactory(
        adcode="510700", code="mianyang", name="绵阳", name_en="Mianyang", province="四川省"
    )


def beibei() -> Region:
    return RegionFactory()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试机构{n}")
    kind = Organisation.Kind.UNIVERSITY
    region = factory.LazyFunction(beibei)
    uscc = factory.Sequence(lambda n: uscc.make(f"12500000{n:09d}"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    roles = factory.LazyFunction(lambda: [Role.RESEARCHER])
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    name = factory.Sequence(lambda n: f"测试平台{n}")
    kind = Platform.Kind.SHARING_PLATFORM
    region = factory.LazyFunction(beibei)
    location = factory.LazyFunction(lambda: Point(106.427, 29.823, srid=4326))
    location_confidence = "low"


class InstrumentFactory(factory.django.DjangoModelFactory):
    """Saved through instrument_save, so search_vector is filled as in the portal."""

    class Meta:
        model = Instrument

    organisation = factory.SubFactory(OrganisationFactory)
    region = factory.LazyAttribute(lambda o: o.organisation.region)
    internal_code = factory.Sequence(lambda n: f"TEST-{n:05d}")
    name = "场发射扫描电子显微镜"
    category_code = "010102"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from sharing.catalogue.services import instrument_save

        return instrument_save(instrument=model_class(*args, **kwargs))

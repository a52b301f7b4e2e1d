"""English pages say it in English: stored English names, class and region names, lists joined
with commas, money written out, match reasons in the reader's language."""

from decimal import Decimal

import pytest

from sharing.catalogue.models import InstrumentClass
from sharing.techmarket.models import Match
from tests.factories import OrganisationFactory, PlatformFactory, beibei
from tests.frontend.test_catalogue_pages import make_instrument
from tests.frontend.test_tech_pages import tech_world
from tests.techmarket.factories import TechNeedFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def sem():
    swu = OrganisationFactory(name="西南大学", name_en="Southwest University", region=beibei())
    platform = PlatformFactory(
        name="北碚大型仪器共享平台", name_en="Beibei Sharing Platform", host=swu
    )
    return make_instrument(
        name="场发射扫描电子显微镜",
        name_en="Field-emission SEM",
        organisation=swu,
        platform=platform,
        internal_code="SWU-2019-0001",
    )


def test_the_instrument_page_shows_the_stored_english_names(english, sem):
    html = english.get(f"/instruments/{sem.pk}/").content.decode()
    assert "<h1>Field-emission SEM</h1>" in html
    assert "Southwest University" in html and "Beibei Sharing Platform" in html
    assert "Beibei" in html


def test_a_name_without_english_is_shown_as_chinese_data(english):
    instrument = make_instrument(name="无英文名的仪器", name_en="")
    html = english.get(f"/instruments/{instrument.pk}/").content.decode()
    assert '<span lang="zh-Hans">无英文名的仪器</span>' in html


def test_the_search_lists_english_names_regions_and_classes(english, sem):
    InstrumentClass.objects.update_or_create(
        code="01", defaults={"name": "分析仪器", "name_en": "Analytical instruments"}
    )
    html = english.get("/instruments/").content.decode()
    assert "Field-emission SEM" in html and "Southwest University" in html
    assert "01 Analytical instruments" in html
    assert "01 分析仪器" not in html
    assert ">Beibei<" in html


def test_chinese_pages_keep_the_chinese_names(client, sem):
    html = client.get(f"/instruments/{sem.pk}/").content.decode()
    assert "<h1>场发射扫描电子显微镜</h1>" in html and "西南大学" in html


def test_transfer_modes_are_joined_with_commas_and_prices_written_out(english):
    world = tech_world()
    listing = world["listing"]
    listing.transfer_modes = ["assignment", "exclusive_licence"]
    listing.price_negotiable = False
    listing.price = Decimal("260.00")
    listing.pricing_route = "listing"
    listing.save()
    english.force_login(world["firm"])
    html = english.get(f"/tech/listings/{listing.pk}/").content.decode()
    assert "、" not in html.split("<main", 1)[1].split("</main>")[0].replace(
        listing.abstract, ""
    ), "an enumeration comma on an English page"
    assert "CNY 2.6 million" in html
    assert "10k CNY" not in html


def test_match_reasons_are_written_in_the_readers_language(english):
    from sharing.techmarket.matching.run import need_rematch

    world = tech_world()
    need = TechNeedFactory(
        created_by=world["firm"],
        title="钛合金增材制造需求",
        problem="需要钛合金增材制造工艺。",
        keywords=["钛合金", "增材制造"],
        trl_min=1,
        trl_max=9,
        cooperation_modes=["assignment"],
    )
    need_rematch(need_id=need.pk)
    assert Match.objects.filter(need=need).exists()
    english.force_login(world["firm"])
    html = english.get(f"/tech/needs/{need.pk}/").content.decode()
    assert "Shared keywords" in html or "shared keywords" in html.lower()
    assert "共同关键词" not in html and "成熟度" not in html
    english.cookies["django_language"] = "zh-hans"
    assert "成熟度" in english.get(f"/tech/needs/{need.pk}/").content.decode()

"""A manager's upload writes only into the manager's own organisation.

The attack: a manager of an organisation without a credit code (like every university in the
demo) names their own organisation together with another organisation's code, hoping the row
lands on the other organisation's instruments, or a code nobody has yet, hoping to squat it.
"""

import pytest

from portal.accounts import uscc
from portal.accounts.models import Organisation, Role
from sharing.catalogue.feed_import.store import InstrumentImport
from sharing.catalogue.models import Instrument
from sharing.catalogue.rules import EVERYWHERE, ImportScope
from tests.catalogue.feeds import column, sample_rows, write_csv
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory, beibei, mianyang

SWU = "西南大学"


@pytest.fixture
def swu(db):
    mianyang(), beibei()
    return OrganisationFactory(name=SWU, uscc=None)


@pytest.fixture
def victim(db):
    return OrganisationFactory(name="重庆某研究院", uscc=uscc.make("12500000999999999"))


def feed(tmp_path, *, code: str, name: str = SWU, internal_code: str = "SWU-2019-0001"):
    header, rows = sample_rows()
    header = [*header, "所属单位统一社会信用代码"]
    row = [*rows[0], code]
    row[column(header, "所属单位")] = name
    row[column(header, "所在单位仪器内部编码")] = internal_code
    return write_csv(tmp_path / "feed.csv", header, [row])


def run(path, *, only):
    rejections = []
    counts = InstrumentImport(
        path=path,
        scope=EVERYWHERE if only is None else ImportScope(organisation=only),
        pipeline=False,
        on_rejections=rejections.extend,
    ).run()
    return counts, rejections


def test_it_rejects_a_row_naming_my_organisation_with_another_organisations_code(
    swu, victim, tmp_path
):
    theirs = InstrumentFactory(organisation=victim, internal_code="SWU-2019-0001", name="原名")
    counts, rejections = run(feed(tmp_path, code=victim.uscc), only=swu)
    assert (counts.created, counts.updated, counts.rejected) == (0, 0, 1)
    assert [r.reason for r in rejections] == ["只能导入本单位的仪器"]
    # The column as the feed's header names it, never the portal's field name.
    assert [r.column for r in rejections] == ["所属单位"]
    theirs.refresh_from_db()
    assert theirs.name == "原名"
    assert not Instrument.objects.filter(organisation=victim).exclude(pk=theirs.pk).exists()


def test_it_rejects_a_row_with_a_code_nobody_has_and_squats_nothing(swu, tmp_path):
    unknown = uscc.make("12500000888888888")
    counts, _ = run(feed(tmp_path, code=unknown), only=swu)
    assert (counts.created, counts.rejected) == (0, 1)
    swu.refresh_from_db()
    assert swu.uscc is None
    assert not Organisation.objects.filter(uscc=unknown).exists()


def test_it_never_creates_an_organisation_for_a_manager(swu, tmp_path):
    before = Organisation.objects.count()
    counts, _ = run(feed(tmp_path, code="", name="新建的某公司"), only=swu)
    assert (counts.created, counts.rejected) == (0, 1)
    assert Organisation.objects.count() == before


def test_it_accepts_my_own_rows_by_name_or_by_my_own_code(swu, tmp_path):
    counts, _ = run(feed(tmp_path, code=""), only=swu)
    assert (counts.created, counts.rejected) == (1, 0)
    swu.uscc = uscc.make("12500000777777777")
    swu.save()
    counts, _ = run(feed(tmp_path, code=swu.uscc, internal_code="SWU-2", name="别名"), only=swu)
    assert (counts.created, counts.rejected) == (1, 0)
    assert set(Instrument.objects.values_list("organisation", flat=True)) == {swu.pk}


def test_a_manager_without_an_organisation_imports_nothing(db, swu, tmp_path):
    from sharing.catalogue.feed_import.jobs import import_job_create, import_job_run

    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER], organisation=None)
    path = feed(tmp_path, code="")
    with path.open("rb") as handle:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("feed.csv", handle.read(), content_type="text/csv")
    try:
        job = import_job_create(user=manager, upload=upload)
    except Exception:  # refused up front is as good as every row refused
        assert not Instrument.objects.exists()
        return
    import_job_run(job_id=job.pk)
    assert not Instrument.objects.exists()


def test_an_administrator_may_import_for_any_organisation_and_create_one(swu, victim, tmp_path):
    counts, _ = run(feed(tmp_path, code=victim.uscc), only=None)
    assert counts.created == 1
    assert Instrument.objects.get().organisation == victim

import pytest
from django.core.management import call_command

from portal.accounts.models import Organisation
from sharing.catalogue.feed_import.read import FeedError
from sharing.catalogue.feed_import.store import InstrumentImport
from sharing.catalogue.models import FeedSource, Instrument
from tests.catalogue.feeds import SAMPLE, column, sample_rows, write_csv, write_xlsx
from tests.factories import beibei, mianyang

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def regions():
    return mianyang(), beibei()


def run(path, **options):
    rejections = []
    counts = InstrumentImport(path=path, on_rejections=rejections.extend, **options).run()
    return counts, rejections


def snapshot():
    return {
        (i.organisation.name, i.internal_code): (
            i.name,
            i.name_en,
            i.category_code,
            i.model,
            i.manufacturer,
            i.country,
            i.original_value,
            i.in_service_date,
            i.specifications,
            i.functions,
            i.services,
            i.fee_text,
            i.running_status,
            i.sharing_mode,
            i.platform_id,
            i.region_id,
            i.address,
            i.location.coords if i.location else None,
            i.contact_name,
            i.contact_phone,
            i.contact_email,
            i.row_hash,
        )
        for i in Instrument.objects.select_related("organisation")
    }


def test_the_sample_feed_imports_every_row():
    counts, rejections = run(SAMPLE)
    assert rejections == []
    assert (counts.rows_read, counts.created, counts.rejected) == (8, 8, 0)
    sem = Instrument.objects.get(internal_code="SWU-2019-0001")
    assert sem.name == "场发射扫描电子显微镜"
    assert sem.category_id == "01"
    assert sem.country == "JP"
    assert str(sem.original_value) == "386.50"
    assert sem.in_service_date.isoformat() == "2019-06-18"
    assert sem.sharing_mode == "external"
    assert sem.region.code == "beibei"
    assert sem.platform.name == "四川军民融合大型科学仪器共享平台重庆中心"
    assert sem.location.coords == (106.4135, 29.8148)
    assert sem.search_vector


def test_importing_the_same_file_twice_changes_nothing():
    run(SAMPLE)
    before = snapshot()
    stamps = dict(Instrument.objects.values_list("pk", "updated_at"))
    counts, _ = run(SAMPLE)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 8)
    assert snapshot() == before
    assert dict(Instrument.objects.values_list("pk", "updated_at")) == stamps


def test_csv_and_xlsx_give_the_same_result(tmp_path):
    header, rows = sample_rows()
    run(SAMPLE)
    from_csv = snapshot()
    Instrument.objects.all().delete()
    counts, rejections = run(write_xlsx(tmp_path / "feed.xlsx", header, rows))
    assert rejections == []
    assert counts.created == 8
    assert snapshot() == from_csv
    # And the XLSX of the same rows is "unchanged" against the CSV import.
    counts, _ = run(SAMPLE)
    assert counts.unchanged == 8


def test_gb18030_and_bom_and_english_headers_read_the_same(tmp_path):
    header, rows = sample_rows()
    run(write_csv(tmp_path / "gb.csv", header, rows, encoding="gb18030"))
    reference = snapshot()
    for encoding in ("utf-8-sig", "utf-8"):
        counts, _ = run(write_csv(tmp_path / f"{encoding}.csv", header, rows, encoding=encoding))
        assert counts.unchanged == 8, encoding
    english = [
        "internal_code",
        "name",
        "english_name",
        "classification_code",
        "model",
        "manufacturer",
        "country_of_manufacture",
        "original_value",
        "in_service_date",
        "key_technical_specifications",
        "main_functions",
        "services_offered",
        "reference_fees",
        "running_status",
        "sharing_mode",
        "owning_organisation",
        "platform",
        "region",
        "location",
        "longitude",
        "latitude",
        "contact_name",
        "phone",
        "e_mail",
    ]
    assert len(english) == len(header)
    counts, _ = run(write_csv(tmp_path / "en.csv", english, rows))
    assert counts.unchanged == 8
    assert snapshot() == reference


def test_bad_rows_are_rejected_with_their_row_numbers_and_the_rest_land(tmp_path):
    header, rows = sample_rows()
    rows[0][column(header, "启用日期")] = "2019-13-45"  # row 2
    rows[1][column(header, "设备分类编码")] = "770101"  # row 3
    rows[2][column(header, "原值（万元）")] = "-5"  # row 4
    rows[3][column(header, "仪器名称")] = ""  # row 5
    duplicate = list(rows[4])  # row 10 repeats row 6's key
    rows.append(duplicate)
    counts, rejections = run(write_csv(tmp_path / "bad.csv", header, rows))
    by_row = {r.row_number: r for r in rejections}
    assert by_row[2].column == "启用日期"
    assert by_row[3].column == "设备分类编码"
    assert "77" in by_row[3].reason
    assert by_row[4].column == "原值（万元）"
    assert by_row[5].column == "仪器名称"
    assert by_row[10].column == "所在单位仪器内部编码"
    assert "第 6 行" in by_row[10].reason
    assert sorted(by_row) == [2, 3, 4, 5, 10]
    assert (counts.rows_read, counts.created, counts.rejected) == (9, 4, 5)
    assert Instrument.objects.count() == 4


def test_a_changed_row_updates_its_instrument(tmp_path):
    header, rows = sample_rows()
    run(SAMPLE)
    rows[0][column(header, "运行状态")] = "待修"
    counts, _ = run(write_csv(tmp_path / "changed.csv", header, rows))
    assert (counts.updated, counts.unchanged) == (1, 7)
    assert Instrument.objects.get(internal_code="SWU-2019-0001").running_status == (
        "awaiting_repair"
    )


def test_a_full_import_withdraws_missing_instruments_and_never_deletes(tmp_path):
    header, rows = sample_rows()
    source = FeedSource.objects.create(name="sichuan", location=str(SAMPLE))
    run(SAMPLE, source=source, full=True)
    counts, _ = run(write_csv(tmp_path / "less.csv", header, rows[2:]), source=source, full=True)
    assert counts.withdrawn == 2
    assert Instrument.objects.count() == 8
    assert Instrument.objects.filter(withdrawn_at__isnull=False).count() == 2
    counts, _ = run(SAMPLE, source=source, full=True)
    assert (counts.updated, counts.withdrawn) == (2, 0)
    assert not Instrument.objects.filter(withdrawn_at__isnull=False).exists()


def test_a_dry_run_stores_nothing_but_reports_what_would_happen():
    organisations = Organisation.objects.count()
    counts, _ = run(SAMPLE, dry_run=True)
    assert counts.created == 8
    assert Instrument.objects.count() == 0
    assert Organisation.objects.count() == organisations


def test_organisations_are_matched_by_credit_code_then_name(tmp_path):
    from portal.accounts import uscc

    code = uscc.make("12500000450400604")
    existing = Organisation.objects.create(
        name="西南大学（旧名）", kind="university", region=beibei(), uscc=code
    )
    header, rows = sample_rows()
    header = [*header, "所属单位统一社会信用代码"]
    rows = [[*row, code if row[column(header, "所属单位")] == "西南大学" else ""] for row in rows]
    run(write_csv(tmp_path / "codes.csv", header, rows))
    assert Instrument.objects.filter(organisation=existing).count() == 2
    assert Organisation.objects.filter(name="中国科学院重庆绿色智能技术研究院").get().kind == (
        "research_institute"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "空"),
        ("名称,型号\n电镜,SU8020\n".encode(), "缺少必需的列"),
        (b"\xff\xfe\x00\x00garbage\x81\x82" * 10, "编码"),
    ],
)
def test_a_file_that_cannot_be_read_fails_as_a_whole(tmp_path, content, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(FeedError, match=message):
        run(path)
    assert Instrument.objects.count() == 0


def test_the_command_prints_a_summary_and_rejections(tmp_path, capsys):
    header, rows = sample_rows()
    rows[0][column(header, "启用日期")] = "2099-01-01"
    call_command(
        "import_instruments",
        str(write_csv(tmp_path / "f.csv", header, rows)),
        "--quiet-progress",
    )
    out = capsys.readouterr().out
    assert "新增 created 7" in out
    assert "拒绝 rejected 1" in out
    assert "第 2 行" in out and "不能晚于今天" in out


def test_a_national_layout_export_imports_back_unchanged(tmp_path, client):
    from tests.factories import UserFactory

    run(SAMPLE)
    before = snapshot()
    client.force_login(UserFactory())
    response = client.get("/api/instruments/export.csv?layout=national")
    assert response.status_code == 200
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(response.streaming_content))
    counts, rejections = run(path)
    assert rejections == []
    assert (counts.rows_read, counts.unchanged) == (8, 8)
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_the_two_thread_pipeline_gives_the_same_result(tmp_path):
    header, rows = sample_rows()
    rows.append(list(rows[0]))  # row 10 repeats row 2's key, three batches later
    rows[4][column(header, "原值（万元）")] = "abc"  # row 6
    path = write_csv(tmp_path / "feed.csv", header, rows)
    counts, rejections = run(path, batch_size=3, pipeline=True)
    assert (counts.rows_read, counts.created, counts.rejected) == (9, 7, 2)
    assert sorted(r.row_number for r in rejections) == [6, 10]
    counts, _ = run(path, batch_size=3, pipeline=True)
    assert (counts.created, counts.unchanged, counts.rejected) == (0, 7, 2)

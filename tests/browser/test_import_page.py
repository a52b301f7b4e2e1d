import pytest

from portal.accounts.models import Role
from tests.catalogue.feeds import column, sample_rows, write_csv
from tests.factories import UserFactory, beibei, mianyang

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_a_manager_uploads_a_feed_and_watches_it_import(
    page, live_server, celery_worker, artifacts, tmp_path
):
    mianyang(), beibei()
    UserFactory(username="manager", roles=[Role.INSTRUMENT_MANAGER, Role.ADMINISTRATOR])
    header, rows = sample_rows()
    rows[1][column(header, "启用日期")] = "<img src=x onerror=alert(1)>"
    feed = write_csv(tmp_path / "feed.csv", header, rows)

    page.goto(live_server.url + "/login/?next=/instruments/import/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]:has-text('登录')")
    page.set_input_files("#id_file", str(feed))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-state:has-text('已完成')", timeout=60_000)
    assert page.locator("[data-count=created]").inner_text() == "7"
    assert page.locator("[data-count=rejected]").inner_text() == "1"
    table = page.locator("#import-rejections")
    assert "<img src=x onerror=alert(1)>" in table.inner_text()
    assert table.locator("img").count() == 0
    assert page.eval_on_selector("#import-progress", "el => el.value") == 1
    # The rejected row comes back as uploaded, with its reason, to fix and upload again.
    with page.expect_download() as download:
        page.click("#import-rejections-csv a")
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert "拒绝原因" in text.splitlines()[0] and "启用日期：" in text
    with page.expect_download() as download:
        page.click("a[href='/api/imports/template.csv']")
    template = download.value.path().read_bytes().decode("utf-8-sig")
    assert template.startswith("所在单位仪器内部编码,")
    page.screenshot(path=artifacts / "import.png", full_page=True)
    assert page.foreign_requests == []


def test_a_refused_upload_says_why_once_and_names_the_field_in_words(
    page, live_server, artifacts, tmp_path
):
    UserFactory(username="manager", roles=[Role.INSTRUMENT_MANAGER])
    page.goto(live_server.url + "/login/?next=/instruments/import/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]:has-text('登录')")

    binary = tmp_path / "feed.csv"
    binary.write_bytes("名称,型号\n显微镜,X\x001\n".encode())
    page.set_input_files("#id_file", str(binary))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-state:has-text('上传失败')")
    said = page.locator("#import-state").inner_text()
    assert "文件无法导入" in said
    assert said.count("NUL") == 1, said
    assert "{" not in said and "[" not in said

    text = tmp_path / "feed.txt"
    text.write_text("名称\n显微镜\n")
    page.set_input_files("#id_file", str(text))
    page.click("text=上传并导入")
    page.wait_for_selector("#import-state:has-text('只接受')")
    said = page.locator("#import-state").inner_text()
    assert "文件：只接受 .csv 或 .xlsx 文件" in said
    assert "{" not in said and "[" not in said
    page.screenshot(path=artifacts / "import-refused.png", full_page=True)
    assert page.foreign_requests == []

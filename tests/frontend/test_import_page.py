import pytest

from portal.accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_import_page_is_for_managers(client):
    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER])
    client.force_login(manager)
    html = client.get("/instruments/import/").content.decode()
    assert "导入仪器数据" in html
    assert 'src="/static/frontend/import.js"' in html


def test_a_researcher_may_not_open_the_import_page(client):
    client.force_login(UserFactory(roles=[Role.RESEARCHER]))
    assert client.get("/instruments/import/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/instruments/import/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_only_administrators_are_offered_the_sources(client):
    # Importing by source is the administrators' (sharing.catalogue.rules): a manager's page
    # neither offers it nor lists the sources' names.
    from sharing.catalogue.models import FeedSource

    FeedSource.objects.create(name="national-secret-feed", location="/nonexistent.csv")
    client.force_login(UserFactory(roles=[Role.INSTRUMENT_MANAGER]))
    html = client.get("/instruments/import/").content.decode()
    assert "national-secret-feed" not in html
    assert 'name="source"' not in html and 'name="full"' not in html
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    html = client.get("/instruments/import/").content.decode()
    assert "national-secret-feed" in html
    assert 'name="source"' in html and 'name="full"' in html


NAV_LINK = 'href="/instruments/import/"'


@pytest.mark.parametrize(
    ("roles", "superuser", "offered"),
    [
        ([Role.INSTRUMENT_MANAGER], False, True),
        ([Role.ADMINISTRATOR], False, True),
        ([], True, True),
        ([Role.RESEARCHER], False, False),
    ],
    ids=["manager", "administrator", "superuser", "researcher"],
)
def test_the_import_link_is_offered_to_exactly_those_the_page_lets_in(
    client, roles, superuser, offered
):
    person = UserFactory(roles=roles, is_superuser=superuser)
    client.force_login(person)
    assert (NAV_LINK in client.get("/").content.decode()) is offered
    assert (client.get("/instruments/import/").status_code == 200) is offered


def test_the_import_page_offers_the_template_and_each_jobs_rejected_rows(
    client, settings, tmp_path
):
    from sharing.catalogue.models import ImportJob, ImportRejection

    manager = UserFactory(roles=[Role.INSTRUMENT_MANAGER])
    clean = ImportJob.objects.create(created_by=manager, original_filename="ok.csv")
    rejected = ImportJob.objects.create(created_by=manager, original_filename="bad.csv", rejected=1)
    ImportRejection.objects.create(
        job=rejected, row_number=3, column="所属单位", reason="只能导入本单位的仪器"
    )
    client.force_login(manager)
    html = client.get("/instruments/import/").content.decode()
    assert 'href="/api/imports/template.csv"' in html
    assert f'href="/api/imports/{rejected.pk}/rejections.csv"' in html
    assert f'href="/api/imports/{clean.pk}/rejections.csv"' not in html
    # The running job's table offers the same download once rows are rejected (import.js).
    assert 'id="import-rejections-csv"' in html

"""403 and 404 pages in the portal's style and the reader's language, saying what to do; the
API keeps its JSON errors."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_portals_404_in_chinese(client):
    answer = client.get("/no-such-page/")
    page = answer.content.decode()
    assert answer.status_code == 404
    assert 'class="site-header"' in page and "页面不存在（404）" in page
    assert 'action="/instruments/"' in page  # search
    assert 'href="/login/?next=/no-such-page/"' in page


def test_a_missing_page_in_english(client):
    client.cookies["django_language"] = "en"
    page = client.get("/platforms/999999/").content.decode()
    assert "Page not found (404)" in page and "Search the shared instruments" in page


def test_a_refused_page_is_the_portals_403(client):
    client.force_login(UserFactory(username="plain"))
    answer = client.get("/instruments/import/")
    page = answer.content.decode()
    assert answer.status_code == 403
    assert 'class="site-header"' in page and "无权访问（403）" in page
    assert "请联系所在机构的管理员" in page


def test_a_refused_page_in_english(client):
    client.cookies["django_language"] = "en"
    client.force_login(UserFactory(username="plain"))
    page = client.get("/instruments/import/").content.decode()
    assert "Access denied (403)" in page


def test_the_api_still_answers_json_errors(client):
    answer = client.get("/api/no-such-endpoint/")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")
    assert "error" in answer.json()


def test_a_csrf_failure_says_what_to_do():
    strict = Client(enforce_csrf_checks=True)
    answer = strict.post("/password/reset/", {"email": "x@example.org"})
    assert answer.status_code == 403
    assert "表单已过期（403）" in answer.content.decode()


def test_the_500_page_needs_no_request():
    from django.template import loader

    page = loader.get_template("500.html").render()
    assert "服务器出错（500）" in page

"""Password reset and change in the pages, in both languages, and what a new password or a
closed account ends: the API token and every other session."""

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token

from portal.accounts.sessions import UserSession
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD = "correct horse battery"
NEW = "a much longer new passphrase 42"


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def researcher():
    return UserFactory(username="researcher", email="researcher@example.org")


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def reset_link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://[^/]+(/password/reset/\S+/)", message.body).group(1)


def reset(client, email="researcher@example.org", new=NEW):
    answer = client.post("/password/reset/", {"email": email})
    assert answer.status_code == 302 and answer["Location"] == "/password/reset/sent/"
    link = client.get(reset_link())
    assert link.status_code == 302  # to the same page without the token in the address
    done = client.post(link["Location"], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/password/reset/complete/"


def test_the_login_page_links_to_the_reset(client):
    assert 'href="/password/reset/"' in client.get("/login/").content.decode()


def test_a_reset_e_mail_in_chinese_sets_a_new_password(client, researcher):
    reset(client)
    assert mail.outbox[0].subject == "绵碚合作资源共享门户：重设密码"
    assert "您好，researcher：" in mail.outbox[0].body
    researcher.refresh_from_db()
    assert researcher.check_password(NEW)
    assert "密码已重设" in client.get("/password/reset/complete/").content.decode()


def test_a_reset_e_mail_in_english(client, researcher):
    client.cookies["django_language"] = "en"
    reset(client)
    assert mail.outbox[0].subject == "Mianyang–Beibei portal: reset your password"
    assert "Hello researcher," in mail.outbox[0].body
    assert "Password reset" in client.get("/password/reset/complete/").content.decode()


def test_an_unknown_address_answers_the_same_and_sends_nothing(client, researcher):
    known = client.post("/password/reset/", {"email": "researcher@example.org"})
    mail.outbox.clear()
    unknown = client.post("/password/reset/", {"email": "nobody@example.org"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []


def test_an_address_in_another_case_still_resets(client, researcher):
    client.post("/password/reset/", {"email": "Researcher@Example.ORG"})
    assert len(mail.outbox) == 1


def test_a_reset_link_works_once(client, researcher):
    reset(client)
    again = Client().get(reset_link(), follow=True)
    assert "这个重设链接无效" in again.content.decode()


def test_a_bad_new_password_keeps_the_form_with_its_message(client, researcher):
    client.post("/password/reset/", {"email": "researcher@example.org"})
    form_url = client.get(reset_link())["Location"]
    answer = client.post(form_url, {"new_password1": NEW, "new_password2": NEW + "x"})
    assert answer.status_code == 200
    assert "输入的两个密码不一致。" in answer.content.decode()
    researcher.refresh_from_db()
    assert researcher.check_password(OLD)


def test_reset_is_throttled(client, researcher, settings):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"password": "2/hour"},
    }
    cache.delete_many([k for k in ("throttle_password_127.0.0.1",)])
    client.defaults["REMOTE_ADDR"] = "198.51.100.77"
    cache.delete("throttle_password_198.51.100.77")
    try:
        for _ in range(2):
            assert client.post("/password/reset/", {"email": "x@example.org"}).status_code == 302
        refused = client.post("/password/reset/", {"email": "x@example.org"})
        assert refused.status_code == 429 and "Retry-After" in refused
        assert client.get("/password/reset/").status_code == 200  # the form is not counted
    finally:
        cache.delete("throttle_password_198.51.100.77")


# --- What a new password ends ------------------------------------------------------------------


def test_a_change_keeps_this_session_and_ends_the_others_and_the_token(researcher):
    here, elsewhere = signed_in(researcher), signed_in(researcher)
    Token.objects.create(user=researcher)
    answer = here.post(
        "/password/change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert answer.status_code == 302 and answer["Location"] == "/password/change/done/"
    assert here.get("/notifications/").status_code == 200
    assert elsewhere.get("/notifications/").status_code == 302  # to the login page
    assert not Token.objects.filter(user=researcher).exists()
    assert UserSession.objects.filter(user=researcher).count() == 1


def test_a_wrong_old_password_changes_nothing(researcher):
    here = signed_in(researcher)
    answer = here.post(
        "/password/change/", {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    )
    assert answer.status_code == 200
    researcher.refresh_from_db()
    assert researcher.check_password(OLD)


def test_a_reset_ends_every_session_and_the_token(client, researcher):
    elsewhere = signed_in(researcher)
    Token.objects.create(user=researcher)
    reset(client)
    assert elsewhere.get("/notifications/").status_code == 302
    assert not UserSession.objects.filter(user=researcher).exists()
    assert not Token.objects.filter(user=researcher).exists()


def test_closing_an_account_ends_its_sessions_and_token_for_good(api, researcher):
    elsewhere = signed_in(researcher)
    token = Token.objects.create(user=researcher)
    researcher.is_active = False
    researcher.save(update_fields=["is_active"])
    assert not UserSession.objects.filter(user=researcher).exists()
    assert not Token.objects.filter(pk=token.pk).exists()
    # Opened again, the old session does not come back.
    researcher.is_active = True
    researcher.save(update_fields=["is_active"])
    assert elsewhere.get("/notifications/").status_code == 302
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/me/").status_code == 401


def test_the_change_page_is_for_signed_in_people(client):
    assert client.get("/password/change/")["Location"].startswith("/login/")


def test_my_account_page_links_to_the_change(researcher):
    client = signed_in(researcher)
    assert 'href="/me/"' in client.get("/").content.decode()
    assert 'href="/password/change/"' in client.get("/me/").content.decode()


def test_anonymous_sessions_have_no_person(client):
    client.get("/password/reset/")
    client.post("/password/reset/", {"email": "x@example.org"})
    assert not UserSession.objects.exclude(user=None).exists()

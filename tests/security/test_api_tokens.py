"""API tokens expire, can be revoked by their owner, and die with a password change."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.accounts.services import user_upsert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase 42"
TOKEN = "/api/auth/token/"


def obtain(username="member", password=PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def holder(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def age(key: str, days: int) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=days))


def test_the_lifetime_comes_from_the_environment():
    from portal import settings as portal_settings

    assert portal_settings.API_TOKEN_LIFETIME == timedelta(days=30)
    assert portal_settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0] == (
        "portal.accounts.authentication.ExpiringTokenAuthentication"
    )


def test_the_token_answer_says_when_it_expires(member):
    body = obtain()
    token = Token.objects.get(user=member)
    assert body["token"] == token.key
    expires = parse_datetime(body["expires"])
    assert expires == token.created + timedelta(days=30)


def test_asking_again_returns_the_same_token_while_it_is_valid(member):
    assert obtain()["token"] == obtain()["token"]


def test_a_valid_token_signs_the_holder_in(member):
    response = holder(obtain()["token"]).get("/api/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "member"


def test_an_expired_token_is_refused_with_401_and_says_why(member):
    key = obtain()["token"]
    age(key, 31)
    response = holder(key).get("/api/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    error = response.json()["error"]
    assert error["code"] == "token_expired"
    assert "已过期" in error["message"]


def test_a_token_one_day_short_of_its_lifetime_still_works(member):
    key = obtain()["token"]
    age(key, 29)
    assert holder(key).get("/api/me/").status_code == 200


def test_the_lifetime_is_a_setting(member, settings):
    settings.API_TOKEN_LIFETIME = timedelta(days=1)
    key = obtain()["token"]
    age(key, 2)
    assert holder(key).get("/api/me/").status_code == 401


def test_asking_after_expiry_gives_a_fresh_token(member):
    old = obtain()["token"]
    age(old, 31)
    body = obtain()
    assert body["token"] != old
    assert parse_datetime(body["expires"]) > timezone.now() + timedelta(days=29)
    assert holder(old).get("/api/me/").status_code == 401
    assert holder(body["token"]).get("/api/me/").status_code == 200


def test_an_unknown_token_is_401(member):
    response = holder("0" * 40).get("/api/me/")
    assert response.status_code == 401


def test_the_holder_revokes_the_token_with_delete(member):
    key = obtain()["token"]
    client = holder(key)
    assert client.delete(TOKEN).status_code == 204
    assert not Token.objects.filter(key=key).exists()
    assert client.get("/api/me/").status_code == 401


def test_a_signed_in_session_revokes_its_owners_token(member):
    key = obtain()["token"]
    browser = APIClient()
    browser.force_login(member)
    assert browser.delete(TOKEN).status_code == 204
    assert holder(key).get("/api/me/").status_code == 401
    # Nothing left to revoke: still 204.
    assert browser.delete(TOKEN).status_code == 204


def test_revoking_leaves_other_peoples_tokens_alone(member, outsider):
    mine, theirs = obtain()["token"], obtain("outsider")["token"]
    assert holder(mine).delete(TOKEN).status_code == 204
    assert holder(theirs).get("/api/me/").status_code == 200


def test_revoking_needs_a_signed_in_caller(api, member):
    obtain()
    assert api.delete(TOKEN).status_code in (401, 403)
    assert Token.objects.filter(user=member).exists()


def test_a_password_change_kills_the_token(member, outsider):
    mine, theirs = obtain()["token"], obtain("outsider")["token"]
    member.set_password(NEW_PASSWORD)
    member.save()
    assert holder(mine).get("/api/me/").status_code == 401
    assert holder(theirs).get("/api/me/").status_code == 200


def test_a_password_reset_by_the_account_service_kills_the_token(member):
    key = obtain()["token"]
    user_upsert(
        username="member",
        password=NEW_PASSWORD,
        organisation=member.organisation,
        roles=member.roles,
        reset_password=True,
    )
    assert holder(key).get("/api/me/").status_code == 401


def test_an_administrator_setting_a_password_in_the_admin_kills_the_token(member):
    key = obtain()["token"]
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = admin.post(
        f"/admin/accounts/user/{member.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert holder(key).get("/api/me/").status_code == 401


def test_changing_ones_own_password_in_the_admin_kills_the_token():
    staff = UserFactory(username="staff", is_staff=True)
    key = obtain("staff")["token"]
    browser = Client()
    browser.force_login(staff)
    response = browser.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert holder(key).get("/api/me/").status_code == 401


def test_disabling_password_sign_in_kills_the_token(member):
    key = obtain()["token"]
    member.set_unusable_password()
    member.save()
    assert holder(key).get("/api/me/").status_code == 401


def test_a_stored_hash_upgraded_at_sign_in_keeps_the_token(member, settings):
    # Django rehashes a password with the preferred hasher when it checks one: the password is
    # the same, so the token lives on.
    key = obtain()["token"]
    member.password = make_password(PASSWORD, hasher="md5")
    member.save(update_fields=["password"])
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert obtain()["token"] == key
    member.refresh_from_db()
    assert member.password.startswith("scrypt$")
    assert holder(key).get("/api/me/").status_code == 200


def test_other_saves_keep_the_token(member):
    key = obtain()["token"]
    member.first_name = "Mei"
    member.save()
    assert holder(key).get("/api/me/").status_code == 200

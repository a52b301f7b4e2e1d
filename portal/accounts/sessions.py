"""Sessions in the database with the person they belong to, so ending someone's sessions is one
indexed DELETE instead of decoding every session (SESSION_ENGINE = "portal.accounts.sessions").

A new password ends every other session and the API token (User.save, via
services.credentials_revoke); the session that changed it survives, because Django's password
change calls update_session_auth_hash, which saves the session again under a new key. A
deactivated account loses them all, so reactivating it later does not wake an old session up.
"""

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    # Filled from the session's own data on every save; empty for anonymous sessions.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=True,
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        return SessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return UserSession

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        try:
            row.user_id = int(data.get("_auth_user_id"))
        except (TypeError, ValueError):
            row.user_id = None
        return row


def sessions_end(*, user, keep: str | None = None) -> int:
    """Ends the person's sessions, but ``keep`` (a session key); how many ended."""
    qs = UserSession.objects.filter(user=user)
    if keep:
        qs = qs.exclude(session_key=keep)
    deleted, _by_model = qs.delete()
    return deleted

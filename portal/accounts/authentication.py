"""Token authentication with a lifetime: a token older than API_TOKEN_LIFETIME is refused."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from portal.accounts.selectors import api_token_is_expired


class TokenExpired(exceptions.AuthenticationFailed):
    default_detail = _("API 令牌已过期，请用用户名和密码重新获取（POST /api/auth/token/）。")
    # The error's code in the one error shape (portal.errors).
    default_code = "token_expired"


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token scheme (Authorization: Token <key>), refusing expired tokens with 401."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if api_token_is_expired(token=token):
            raise TokenExpired()
        return user, token

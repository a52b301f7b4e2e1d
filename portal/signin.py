"""A budget of failed sign-ins per address, on every sign-in path (password spraying).

django-axes locks a (username, address) pair after AXES_FAILURE_LIMIT failures, which leaves an
address free to try a common password against every username. So each address also has a
budget of failures whatever the usernames (LOGIN_FAILURES_PER_ADDRESS within
LOGIN_ADDRESS_COOLOFF); once spent, that address is refused for the cool-off, the right password
included. It is larger than the per-pair limit, for people sharing an address (a campus), and
it holds back only that address: other addresses, and so the people being guessed at, sign in
as before. A success does not refill it, or one known password would buy endless guesses.

Decided here once, for the page login, the admin login and POST /api/auth/token/ alike: each
signs in through django.contrib.auth.authenticate(), where axes' backend asks this handler
whether the client may try (is_allowed) and axes reports each failure to it (user_login_failed).
A refusal sets request.axes_locked_out, which AxesMiddleware turns into the 429 of
portal.security.lockout_response.

The counts live in the cache (Redis), not in the database: a sprayer must not cost a write per
guess once refused. With Redis away the budget fails open, like the throttles, and the per-pair
lockout (in the database) still holds.
"""

from __future__ import annotations

import logging
import math
import time

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.core.cache import cache

from portal.security import client_ip
from portal.throttles import CACHE_ERRORS

logger = logging.getLogger(__name__)


def _limit() -> int:
    return getattr(settings, "LOGIN_FAILURES_PER_ADDRESS", 0)


def _cool_off() -> int:
    return max(1, int(settings.LOGIN_ADDRESS_COOLOFF.total_seconds()))


def _failures_key(address: str) -> str:
    return f"signin-failures:{address}"


def _blocked_key(address: str) -> str:
    return f"signin-blocked:{address}"


def blocked_for(address: str | None) -> int:
    """Seconds until this address may try again; 0 when it may now."""
    if not address or _limit() <= 0:
        return 0
    try:
        until = cache.get(_blocked_key(address))
    except CACHE_ERRORS as exc:
        logger.warning("sign-in budget skipped, cache unavailable: %s", exc)
        return 0
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def count_failure(address: str | None) -> int:
    """One more failure from this address; the seconds it is now blocked for (0: not)."""
    limit = _limit()
    if not address or limit <= 0:
        return 0
    key, cool_off = _failures_key(address), _cool_off()
    try:
        # The window starts at the first failure; add() leaves a running count alone.
        cache.add(key, 0, timeout=cool_off)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=cool_off)
            failures = 1
        if failures < limit:
            return 0
        cache.set(_blocked_key(address), time.time() + cool_off, timeout=cool_off)
        cache.delete(key)
    except CACHE_ERRORS as exc:
        logger.warning("sign-in budget skipped, cache unavailable: %s", exc)
        return 0
    logger.warning("sign-in: %s failures from %s, refused for %ss", failures, address, cool_off)
    return cool_off


def _refuse(request, seconds: int, credentials) -> None:
    # Read by portal.security.lockout_response for the message and Retry-After.
    request.signin_address_blocked_for = seconds
    request.axes_locked_out = True
    request.axes_credentials = credentials


class SignInHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' per-pair lockout in the database, and the per-address budget."""

    def is_allowed(self, request, credentials: dict | None = None) -> bool:
        seconds = blocked_for(client_ip(request))
        if seconds:
            _refuse(request, seconds, credentials)
            return False
        return super().is_allowed(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        if getattr(request, "signin_address_blocked_for", 0):
            # Refused before any password was checked: neither counted nor written, so a
            # blocked address neither extends its cool-off nor fills the attempts table.
            return None
        super().user_login_failed(sender, credentials, request, **kwargs)
        seconds = count_failure(client_ip(request))
        if seconds:
            _refuse(request, seconds, credentials)
        return None

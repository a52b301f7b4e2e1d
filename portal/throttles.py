"""Throttles that fail open: when the cache (Redis) cannot be reached, requests pass.

A throttle guards against floods; a Redis outage must not turn every API call into a 500
(health and the rest of the portal keep working without Redis, see portal.health). The
rates are read on every request rather than once at import, so settings can change them
(environment in production, fixtures in tests). The API's views use the DRF classes; the costly
pages and feeds outside the API use the same logic (portal.page_throttles).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

# What a cache backend raises when Redis is down or slow; OSError covers refused sockets that
# reach us unwrapped.
CACHE_ERRORS = (RedisError, OSError)


class FailOpen:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("throttle %s skipped, cache unavailable: %s", self.scope, exc)
            return True


class AnonThrottle(FailOpen, throttling.AnonRateThrottle):
    pass


class UserThrottle(FailOpen, throttling.UserRateThrottle):
    pass


class ScopedThrottle(FailOpen, throttling.ScopedRateThrottle):
    pass


class TokenThrottle(ScopedThrottle):
    """POST /api/auth/token/: a tighter budget per address (guessing passwords)."""

    def get_cache_key(self, request, view):
        # Always by address: the caller is anonymous until the password is right.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterThrottle(FailOpen, throttling.SimpleRateThrottle):
    """Sign-up, by the API or the page: a budget per address (THROTTLE_REGISTER)."""

    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

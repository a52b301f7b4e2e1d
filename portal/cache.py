"""The default cache, failing soft: with Redis away the portal runs uncached instead of failing.

Nothing the portal keeps in the cache is the only copy of anything (sessions live in the
database): a lost read is a miss, a lost write is a no-op. Throttles therefore fail open while
Redis is down, which is the lesser evil next to every page answering 500.

After a failure the cache stays away from Redis for BACKOFF_SECONDS: a Redis that is stopped
refuses at once, but one that hangs would cost every operation its full socket timeout, and a
page makes several. Failures are logged once per backoff, so an outage does not bury the logs.
"""

import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError)
BACKOFF_SECONDS = 10.0


class _KeptClients(RedisCacheClient):
    """Django makes a new redis.Redis (with its table of reply handlers) for every operation;
    a client is safe to share between threads, so keep one per connection pool. About 0.5 ms
    of every throttled API answer."""

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class FailSoftRedisCache(RedisCache):
    # Per process, shared by the threads: one failure tells them all.
    _down_until = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _KeptClients

    def _soft(self, operation: str, default, call):
        if time.monotonic() < FailSoftRedisCache._down_until:
            return default
        try:
            return call()
        except UNAVAILABLE as exc:
            FailSoftRedisCache._down_until = time.monotonic() + BACKOFF_SECONDS
            logger.warning(
                "cache unavailable (%s), bypassed for %ss: %s", operation, BACKOFF_SECONDS, exc
            )
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("add", False, lambda: RedisCache.add(self, key, value, timeout, version))

    def get(self, key, default=None, version=None):
        return self._soft("get", default, lambda: RedisCache.get(self, key, default, version))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._soft("set", None, lambda: RedisCache.set(self, key, value, timeout, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("touch", False, lambda: RedisCache.touch(self, key, timeout, version))

    def delete(self, key, version=None):
        return self._soft("delete", False, lambda: RedisCache.delete(self, key, version))

    def get_many(self, keys, version=None):
        return self._soft("get_many", {}, lambda: RedisCache.get_many(self, keys, version))

    def has_key(self, key, version=None):
        return self._soft("has_key", False, lambda: RedisCache.has_key(self, key, version))

    def incr(self, key, delta=1, version=None):
        # As if the counter had just started: a counting caller goes on, uncounted.
        return self._soft("incr", delta, lambda: RedisCache.incr(self, key, delta, version))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft(
            "set_many", list(data), lambda: RedisCache.set_many(self, data, timeout, version)
        )

    def delete_many(self, keys, version=None):
        self._soft("delete_many", None, lambda: RedisCache.delete_many(self, keys, version))

    def clear(self):
        return self._soft("clear", False, lambda: RedisCache.clear(self))

    def ping(self) -> bool:
        """For /healthz: asks Redis itself, past the backoff, and raises when it does not
        answer; an answer ends the backoff."""
        answered = self._cache.get_client(write=True).ping()
        FailSoftRedisCache._down_until = 0.0
        return answered

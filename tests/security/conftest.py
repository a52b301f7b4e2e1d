import pytest

from portal.cache import FailSoftRedisCache


@pytest.fixture(autouse=True)
def redis_believed_up():
    # A test that stopped Redis leaves the fail-soft cache bypassing it for a few seconds; the
    # counters tested here need the real one from the start.
    FailSoftRedisCache._down_until = 0.0
    yield
    FailSoftRedisCache._down_until = 0.0

"""lib/counters.py: counts every process shares (Redis in CI and production; local memory by default).

/token counts its requests per address and per client id on every call: one round trip on Redis
(`count_and_read`), where it took seven — and the count must still be exact under concurrency, and every
window's key must expire, or a busy address would be refused forever.
"""

import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from lib import counters


@pytest.fixture
def name():
    return f"test-{uuid.uuid4().hex}"


def test_concurrent_counts_are_each_their_own_number(name):
    got, barrier = [], threading.Barrier(16)

    def count():
        barrier.wait(timeout=10)
        (n,), _ = counters.count_and_read([name], window=60)
        got.append(n)

    threads = [threading.Thread(target=count) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(got) == list(range(1, 17))
    assert counters.count_and_read([], window=60, read=[name]) == ([], [16])


def test_several_names_are_counted_and_read_in_one_call(name):
    counters.count_and_read([f"{name}-a"], window=60)
    counts, read = counters.count_and_read([f"{name}-a", f"{name}-b"], window=60, read=[f"{name}-a", f"{name}-c"])
    assert counts == [2, 1] and read == [2, 0]


def test_a_hit_past_the_limit_says_how_long_to_wait(name):
    assert counters.hit(name, limit=2, window=60) is None
    assert counters.hit(name, limit=2, window=60) is None
    assert 1 <= counters.hit(name, limit=2, window=60) <= 60


def test_every_window_key_expires(name):
    counters.count_and_read([name], window=60)
    key = counters.window_key(name, 60)
    store = caches["default"]
    if isinstance(store, RedisCache):  # CI and production (tests/test_services.py requires Redis there)
        ttl = store._cache.get_client(write=False).ttl(store.make_and_validate_key(key))
    else:
        ttl = store._expire_info[store.make_and_validate_key(key)] - time.time()
    assert 0 < ttl <= 61

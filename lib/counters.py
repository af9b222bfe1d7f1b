"""Counters in the shared cache (Redis in production, so every process sees one count): the admin login's
failures per username, /token's requests per client id and per address.

`increment` is atomic: `add` creates the key with its expiry only if it is missing, `incr` adds one in
the cache itself (Redis INCR), so concurrent callers each get their own number — a limit checked on the
returned number holds under any concurrency, unlike reading, checking and then writing.
"""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache


def increment(key: str, *, timeout: int, store=None) -> int:
    """Add one to `key` (created with `timeout` seconds to live if missing) and return the new count.
    `store` is the shared cache unless another is given (the admin login's per-process fallback)."""
    store = cache if store is None else store
    store.add(key, 0, timeout=timeout)
    try:
        return store.incr(key)
    except ValueError:  # expired between add and incr: this call starts a new window
        store.set(key, 1, timeout=timeout)
        return 1


def window_key(name: str, window: int) -> str:
    """The key of `name`'s count in the current fixed window of `window` seconds."""
    return f"rate:{name}:{int(time.time() // window) * window}"


def hit(name: str, *, limit: int, window: int) -> int | None:
    """Count one more of `name` in the current window; None while at most `limit`, else the seconds
    until the window ends (a Retry-After)."""
    (count,), _ = count_and_read([name], window=window)
    return None if count <= limit else retry_after(window)


def retry_after(window: int) -> int:
    """The seconds until the current window of `window` seconds ends (at least 1)."""
    return max(1, window - int(time.time()) % window)


def count_and_read(add: list[str], *, window: int, read: list[str] = ()) -> tuple[list[int], list[int]]:
    """Count one more of each name in `add` and read the counts of `read`, all in the current window:
    (the new counts, the counts read).

    On Redis this is one round trip (a MULTI/EXEC pipeline: SET NX with the window's expiry, INCR, per
    name; GET per read), where `increment` and `current` took three and one each: /token counts two or
    three names per request. Elsewhere (the embedded default's local memory) one call each.
    """
    timeout = window + 1
    added_keys = [window_key(name, window) for name in add]
    read_keys = [window_key(name, window) for name in read]
    store = caches["default"]  # the backend itself (`cache` is a proxy to it)
    if not isinstance(store, RedisCache):
        return [increment(key, timeout=timeout) for key in added_keys], [cache.get(key, 0) for key in read_keys]
    pipe = store._cache.get_client(write=True).pipeline(transaction=True)
    for key in added_keys:
        key = store.make_and_validate_key(key)
        pipe.set(key, 0, ex=timeout, nx=True)  # the window's key, with its expiry, only if missing
        pipe.incr(key)  # in the same transaction: the key can not expire in between
    for key in read_keys:
        pipe.get(store.make_and_validate_key(key))
    replies = pipe.execute()
    counts = [int(n) for n in replies[1 : 2 * len(added_keys) : 2]]
    return counts, [int(value or 0) for value in replies[2 * len(added_keys) :]]

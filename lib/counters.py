"""Counters in the shared cache (Redis in production, so every process sees one count): the admin login's
failures per username, /token's requests per client id and per address.

`increment` is atomic: `add` creates the key with its expiry only if it is missing, `incr` adds one in
the cache itself (Redis INCR), so concurrent callers each get their own number — a limit checked on the
returned number holds under any concurrency, unlike reading, checking and then writing.
"""

import time

from django.core.cache import cache


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
    if increment(window_key(name, window), timeout=window + 1) <= limit:
        return None
    return max(1, window - int(time.time()) % window)


def current(name: str, window: int) -> int:
    """The current window's count of `name`, without adding to it."""
    return cache.get(window_key(name, window), 0)

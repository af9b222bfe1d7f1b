"""When a request arrived, for the checks that compare a client's clock with ours (a grant's `iat`).

A server that is slow, or that queued the request behind a lock, must not tell a client its grant is
stale: the grant was fresh when it arrived. config/wsgi.py notes the time each request reached our code;
behind trusted proxies (PROXY_COUNT > 0) the proxy's own `X-Request-Start` (`t=` seconds, milliseconds
or microseconds since the epoch, as HAProxy, nginx and most APMs write it) is used instead, so the time
spent queued at the balancer and in gunicorn's backlog counts too. A proxy header is only believed when it
lies at most MAX_QUEUE_SECONDS before our own clock and not after it: a client that forged it, through a
proxy that does not overwrite it, gains at most that many seconds on `iat`, and its grant's `jti` is
spent once all the same.
"""

import math
import time

KEY = "systembruker.arrived"
MAX_QUEUE_SECONDS = 30


def note(environ: dict, *, behind_proxy: bool) -> None:
    now = time.time()
    arrived = now
    if behind_proxy:
        start = _proxy_start(environ.get("HTTP_X_REQUEST_START", ""))
        if start is not None and now - MAX_QUEUE_SECONDS <= start <= now:
            arrived = start
    environ[KEY] = arrived


def arrived(environ: dict) -> float:
    """The time the request arrived (seconds since the epoch); now when nothing noted it."""
    value = environ.get(KEY)
    return value if isinstance(value, float) else time.time()


def _proxy_start(value: str) -> float | None:
    value = value.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if number > 1e14:  # microseconds
        return number / 1e6
    if number > 1e11:  # milliseconds
        return number / 1e3
    return number

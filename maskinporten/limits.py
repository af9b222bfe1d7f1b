"""/token's rate limits (CONTRACT §7): requests per address, requests per client id, refusals per address.

Counted in the shared cache (Redis in production, lib/counters.py) in one-minute windows, with limits
far above honest use (TOKEN_RATE_* settings, docs/operations.md). A limited request is answered 429
`slow_down` with Retry-After and no audit row: garbage must not grow the audit trail without bound.
If the cache is unreachable the limits are skipped (and logged): issuing tokens matters more.
"""

import hashlib
import logging

from django.conf import settings

from lib import counters, metrics
from maskinporten.assertion import unverified_issuer

logger = logging.getLogger(__name__)
WINDOW = 60  # seconds: the settings are per minute
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
Answer = tuple[int, dict, dict]  # status, JSON body, headers (maskinporten/views.token_answer)


SLOW_DOWN = {"error": "slow_down", "error_description": "Too many token requests; retry after the given seconds"}


def slow_down(retry_after: int) -> Answer:
    """The OAuth-format 429 (CONTRACT §7), counted as a refusal in the metrics."""
    metrics.TOKENS_REFUSED.labels("slow_down").inc()
    return 429, SLOW_DOWN, {**NO_STORE, "Retry-After": str(retry_after)}


def address_wait(ip: str | None) -> int | None:
    """Count a request from `ip`: the seconds to wait when it made too many requests, or too many were
    refused, this minute; else None."""
    try:  # one round trip on Redis (lib/counters.count_and_read)
        (requests,), (refused,) = counters.count_and_read(
            [f"token-address:{ip}"], window=WINDOW, read=[f"token-refused:{ip}"]
        )
    except Exception:  # noqa: BLE001 - the cache client's own errors (redis.ConnectionError, …)
        logger.warning("token rate limit not checked: the cache is unreachable", exc_info=True)
        return None
    if requests > settings.TOKEN_RATE_PER_ADDRESS or refused >= settings.TOKEN_REFUSALS_PER_ADDRESS:
        return counters.retry_after(WINDOW)
    return None


def client_wait(assertion: object) -> int | None:
    """Count a request for the client id the grant claims (unverified: a forged `iss` only spends that
    client's allowance, which the address limit bounds): the seconds to wait, else None."""
    client_id = unverified_issuer(assertion)
    if client_id is None:
        return None
    key = hashlib.sha256(client_id.encode("utf-8", "replace")).hexdigest()
    return _hit(f"token-client:{key}", settings.TOKEN_RATE_PER_CLIENT)


def count_refusal(ip: str | None) -> None:
    try:
        counters.increment(counters.window_key(f"token-refused:{ip}", WINDOW), timeout=WINDOW + 1)
    except Exception:  # noqa: BLE001 - the cache client's own errors (redis.ConnectionError, …)
        logger.warning("token refusal not counted: the cache is unreachable", exc_info=True)


def _hit(name: str, limit: int) -> int | None:
    try:
        return counters.hit(name, limit=limit, window=WINDOW)
    except Exception:  # noqa: BLE001
        logger.warning("token rate limit not checked: the cache is unreachable", exc_info=True)
        return None

"""/token's rate limits on Redis: what counting one token request costs (a measurement, not a test).

    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/token_limits.py [--calls 20000]

Runs maskinporten.limits' two calls per token request (the address's count with the refusals read, and
the client id's count) in this process against the configured Redis, as /token does, and prints the
wall time and this process's CPU per token, the round trips to Redis per token (a MULTI/EXEC pipeline
is one) and the commands Redis ran (its `total_commands_processed`). Figures in docs/performance.md
("Rate limits on Redis").
"""

import sys
from pathlib import Path

# This folder holds bench/token.py, named like a standard-library module: keep it off the import path and
# put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from bench import _common as common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL: this measures the limits on Redis")
    common.setup_django()
    from django.conf import settings
    from django.core.cache import caches

    from maskinporten import limits

    settings.TOKEN_RATE_PER_ADDRESS = settings.TOKEN_RATE_PER_CLIENT = 10**9  # count, never refuse
    client = caches["default"]._cache.get_client(write=True)
    grant = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJiZW5jaC1jbGllbnQifQ.c2ln"  # only the unverified iss is read
    for _ in range(200):  # warm the connection pool
        limits.address_wait("127.0.0.1"), limits.client_wait(grant)
    import redis.connection

    sent = [0]
    real_send = redis.connection.Connection.send_packed_command

    def counting_send(self, *a, **kw):  # one call per round trip (a pipeline sends its commands at once)
        sent[0] += 1
        return real_send(self, *a, **kw)

    redis.connection.Connection.send_packed_command = counting_send
    before = client.info("stats")["total_commands_processed"]
    sent[0] = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(args.calls):
        assert limits.address_wait(f"10.0.{i % 200}.1") is None
        assert limits.client_wait(grant) is None
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    trips = sent[0]
    commands = client.info("stats")["total_commands_processed"] - before - 1  # less the INFO itself
    print(
        f"calls {args.calls}: {wall / args.calls * 1e6:.0f} µs wall, {cpu / args.calls * 1e6:.0f} µs CPU per token; "
        f"{trips / args.calls:.1f} round trips, {commands / args.calls:.1f} Redis commands per token"
    )


if __name__ == "__main__":
    main()

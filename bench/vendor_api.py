"""Measure the vendor API in-process: calls per second and latency percentiles for its busiest operations.

    .venv/bin/python bench/vendor_api.py [--calls 300]
    DATABASE_URL=postgres://... .venv/bin/python bench/vendor_api.py

Uses a throw-away SQLite file unless DATABASE_URL is set (then that database gets fresh tables from
`migrate` and its rows are left behind: point it at a scratch database). Numbers go in docs/vendor-api.md.
"""

import sys
from pathlib import Path

# This folder holds bench/token.py, named like a standard-library module: keep it off the import path and
# put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

from bench import _common as common  # noqa: E402

common.scratch_django()

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from tests import factories as f  # noqa: E402
from tests.maskinporten.helpers import bearer_for  # noqa: E402

BASE = "/authentication/api/v1/"
SCOPES = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
]


def measure(name: str, calls: int, call) -> dict:
    timings = []
    for i in range(calls):
        start = time.perf_counter()
        response = call(i)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 300, (name, response.status_code, response.content[:300])
    per_second = round(calls / (sum(timings) / 1000), 1)
    return {"operation": name, "calls": calls, "per_second": per_second, **common.median_p95_ms(timings)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    vendor = f.make_org("Bench Vendor AS")
    system = f.make_system(vendor, f"bench{int(time.time())}")
    parties = [f.make_org(f"Kunde {i}") for i in range(args.calls)]
    client = Client(HTTP_AUTHORIZATION=bearer_for(vendor, *SCOPES))

    def create_request(i):
        body = {
            "systemId": system.system_id,
            "partyOrgNo": parties[i].orgno,
            "accessPackages": [{"urn": "urn:altinn:accesspackage:skatt-naering"}],
        }
        return client.post(BASE + "systemuser/request/vendor", json.dumps(body), content_type="application/json")

    results = [
        measure("POST systemuser/request/vendor (new)", args.calls, create_request),
        measure("POST systemuser/request/vendor (idempotent re-post)", args.calls, create_request),
        measure(
            "GET systemuser/request/vendor/bysystem (page of 50)",
            args.calls,
            lambda i: client.get(BASE + f"systemuser/request/vendor/bysystem/{system.system_id}"),
        ),
        measure(
            "GET systemregister/vendor/{id}",
            args.calls,
            lambda i: client.get(BASE + f"systemregister/vendor/{system.system_id}"),
        ),
    ]
    engine = django.db.connection.vendor
    print(f"database: {engine}, python {sys.version.split()[0]}")
    for row in results:
        print(f"{row['operation']:<55} {row['per_second']:>8}/s  p50 {row['p50_ms']:>7} ms  p95 {row['p95_ms']:>7} ms")


if __name__ == "__main__":
    main()

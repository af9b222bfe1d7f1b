"""Measure vendor events: webhook deliveries per second to a local receiver, what subscribing webhooks
adds to an approval, and reading the event feed.

    .venv/bin/python bench/events.py [--events 300] [--approvals 200]
    CELERY_BROKER_URL=redis://127.0.0.1:6379/1 DATABASE_URL=postgres://... .venv/bin/python bench/events.py

Uses a throw-away SQLite file unless DATABASE_URL is set (then that database gets fresh tables from
`migrate` and its rows are left behind: point it at a scratch database). With CELERY_BROKER_URL the
approvals queue their deliveries on that broker, as in production (on a queue of the bench's own,
removed afterwards; no worker takes them); without it nothing is queued. Deliveries are made by
`registry.webhooks.deliver`, the function a worker's task runs, one after the other (one worker
process), to a receiver on loopback answering 204. Numbers go in docs/performance.md.
"""

import sys
from pathlib import Path

# This folder holds bench/token.py, named like a standard-library module: keep it off the import path and
# put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from bench import _common as common  # noqa: E402

os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"sb-bench-{uuid.uuid4()}")
# The receiver is on loopback; the feed shows events at once.
common.scratch_django(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true", EVENTS_FEED_SETTLE_SECONDS="0")

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from approvals.system_user_requests import approve_request  # noqa: E402
from registry import webhooks  # noqa: E402
from registry.api.base import SCOPE_EVENTS  # noqa: E402
from registry.models import DeliveryStatus, WebhookDelivery  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.approvals.conftest import make_request  # noqa: E402
from tests.maskinporten.helpers import bearer_for  # noqa: E402


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def percentiles(name: str, timings: list[float]) -> dict:
    return {"measure": name, "n": len(timings), **common.median_p95_ms(timings)}


def approve_one(manager, system) -> float:
    party = f.make_org()
    f.give_role(manager, "DAGL", party)
    request = make_request(system, party)
    start = time.perf_counter()
    approve_request(request_id=request.id, by=manager)  # its own transaction; queues after commit
    return (time.perf_counter() - start) * 1000


def interleaved(manager, plain_system, hooked_system, how_many: int) -> tuple[list[float], list[float]]:
    """Approvals for a vendor without webhooks and one with, taken in turns, so that both see the same
    load on a shared machine."""
    plain, hooked = [], []
    for _ in range(how_many):
        plain.append(approve_one(manager, plain_system))
        hooked.append(approve_one(manager, hooked_system))
    return plain, hooked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--approvals", type=int, default=200)
    parser.add_argument("--subscriptions", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not settings.CELERY_BROKER_URL:
        webhooks._enqueue = lambda *a, **k: True  # nothing to queue on: the rows wait, as for a dead broker

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    manager = f.make_person()
    vendor = f.make_org("Bench Vendor AS")
    system = f.make_system(vendor, "bench")
    plain_system = f.make_system(f.make_org("Bench Plain AS"), "plain")
    results = []

    # 1. Approval latency without and with subscriptions (never any delivery in the approval).
    for _ in range(args.subscriptions):
        webhooks.create_subscription(vendor=vendor, url=url, event_types=[], actor="bench")
    interleaved(manager, plain_system, system, 10)  # warm-up
    plain, hooked = interleaved(manager, plain_system, system, args.approvals)
    results.append(percentiles("approve_request, no webhooks", plain))
    results.append(percentiles(f"approve_request, {args.subscriptions} webhook subscriptions", hooked))

    # 2. Deliveries per second: the pending deliveries made above and by more approvals.
    for _ in range(max(0, args.events // args.subscriptions - args.approvals - 10)):
        approve_one(manager, system)
    pending = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True))
    pending = pending[: args.events]
    timings = []
    start_all = time.perf_counter()
    for pk in pending:
        start = time.perf_counter()
        assert webhooks.deliver(pk) == "succeeded"
        timings.append((time.perf_counter() - start) * 1000)
    elapsed = time.perf_counter() - start_all
    delivered = percentiles("webhook delivery (claim, sign, POST, log)", timings)
    delivered["per_second"] = round(len(pending) / elapsed, 1)
    results.append(delivered)

    # 3. Reading the feed, 100 events a page.
    client = Client()
    headers = {"HTTP_AUTHORIZATION": bearer_for(vendor, SCOPE_EVENTS)}
    timings, cursor = [], "0"
    for _ in range(100):
        start = time.perf_counter()
        page = client.get("/authentication/api/v1/systemuser/vendor/events", {"after": cursor}, **headers).json()
        timings.append((time.perf_counter() - start) * 1000)
        cursor = page["cursor"] if page["hasMore"] else "0"
    results.append(percentiles("GET systemuser/vendor/events, page of 100", timings))

    server.shutdown()
    if settings.CELERY_BROKER_URL:
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    database = django.db.connection.vendor
    broker = "Redis broker" if settings.CELERY_BROKER_URL else "no broker"
    for row in results:
        print(json.dumps({"database": database, "broker": broker, **row}))


if __name__ == "__main__":
    main()

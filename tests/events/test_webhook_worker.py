"""A real Celery worker against Redis delivers a webhook to a receiver on loopback: nothing is sent
while the worker is stopped; a receiver answering 500 then 200 gets the event twice, with the same
`webhook-id` and a signature the Standard Webhooks verifier accepts; the delivery ends succeeded."""

import subprocess
import sys

import pytest
from standardwebhooks.webhooks import Webhook

from tests.approvals import test_celery_worker as celery_worker
from tests.events.receiver import Receiver

# The Celery-worker fixtures of the outbox's test: a queue of the test's own, the worker's environment
# and database, the worker itself.
ROOT, wait_for = celery_worker.ROOT, celery_worker.wait_for
queue, worker_env, start_worker = celery_worker.queue, celery_worker.worker_env, celery_worker.start_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def step(env: dict, *args: str):
    import json

    done = subprocess.run(
        [sys.executable, "-m", "tests.events.worker_steps", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def _worker_env(monkeypatch):
    """For the worker and the steps (worker_env copies this process's environment): the test receiver
    is on loopback, which only a test or a laptop may allow; quick retries and sweeps."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("WEBHOOK_SWEEP_SECONDS", "1")


def test_the_worker_delivers_after_a_failure_with_the_same_id(worker_env, start_worker):
    receiver = Receiver(statuses=[500, 200]).start()
    try:
        secret = step(worker_env, "subscribe", receiver.url)
        event_id = step(worker_env, "reject")
        assert step(worker_env, "deliveries") == [["pending", 0, []]]  # the worker is stopped
        assert receiver.received == []

        start_worker("--beat", "--scheduler", "celery.beat:Scheduler")
        wait_for(lambda: len(receiver.received) >= 2, "the second attempt")
        wait_for(lambda: step(worker_env, "deliveries") == [["succeeded", 2, [500, 200]]], "the delivery succeeded")
    finally:
        receiver.stop()
    assert [r.headers["webhook-id"] for r in receiver.received] == [event_id, event_id]
    for got in receiver.received:
        assert Webhook(secret).verify(got.body, got.headers)["id"] == event_id

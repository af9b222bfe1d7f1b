"""A real Celery worker against Redis (DESIGN invariant 4): mail for a request created while the
worker is stopped goes out once it starts; a task delivered twice sends one mail; a notification
queued while the broker was down is sent by the beat sweep.

The worker and the steps run in their own processes, so they need a database this process shares:
the transactional test database on PostgreSQL (CI), or a file-based SQLite database made for the test.
Mail goes to files (EMAIL_FILE_PATH), which every process can see.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

# Transactional: what this process writes is committed, so the worker sees it (PostgreSQL).
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
DELIVER = "registry.outbox.deliver_notification"


@pytest.fixture
def queue():
    """A queue of this test's own: other runs sharing the Redis database neither see nor steal its tasks."""
    name = f"systembruker-test-{uuid.uuid4()}"
    yield name
    broker = redis.Redis.from_url(BROKER)
    broker.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")


@pytest.fixture
def worker_env(tmp_path, queue):
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
        database_url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        database_url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SYSTEMBRUKER_VAR_DIR": str(tmp_path),
        "NOTIFICATION_SWEEP_SECONDS": "1",
        "NOTIFICATION_SWEEP_GRACE_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if connection.vendor != "postgresql":
        manage(env, "migrate", "--noinput")
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def step(env: dict, *args: str):
    done = subprocess.run(
        [sys.executable, "-m", "tests.approvals.worker_steps", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def start_worker(worker_env, tmp_path):
    started: list[subprocess.Popen] = []

    def start(*extra: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(started)}.log", "w")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info", *extra],
            cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def send_again(notification_id: str, queue: str) -> None:
    # Not the current app: this process's tasks must stay eager for the other tests.
    app = Celery(broker=BROKER, set_as_current=False)
    try:
        app.send_task(DELIVER, args=[notification_id], queue=queue)
    finally:
        app.close()


def mails(env: dict) -> list[str]:
    folder = Path(env["EMAIL_FILE_PATH"])
    return [p.read_text() for p in sorted(folder.glob("*.log"))] if folder.exists() else []


def mails_to(env: dict, address: str) -> list[str]:
    return [m for m in mails(env) if f"To: {address}" in m]


def wait_for(condition, what: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting: {what}")


def test_mail_waits_for_the_worker_and_a_task_delivered_twice_sends_once(worker_env, start_worker, queue):
    [first] = step(worker_env, "create", "post@bakeriet.example")
    send_again(first, queue)  # the same delivery, once more
    assert step(worker_env, "states") == {first: "pending"}  # the worker is stopped: nothing sent
    assert mails(worker_env) == []

    start_worker()
    wait_for(lambda: mails_to(worker_env, "post@bakeriet.example"), "the first mail")
    [second] = step(worker_env, "create", "post@second.example")
    wait_for(lambda: mails_to(worker_env, "post@second.example"), "the second mail")

    # The mail file is written just before the row is marked sent.
    wait_for(lambda: step(worker_env, "states") == {first: "sent", second: "sent"}, "both rows marked sent")
    sent = mails(worker_env)
    # A worker on a solo pool takes tasks in order: the duplicate ran before the second request's.
    assert len(mails_to(worker_env, "post@bakeriet.example")) == 1
    assert len(mails_to(worker_env, "post@second.example")) == 1
    assert "/systemuser/request?id=" in sent[0]


def test_a_notification_queued_while_the_broker_was_down_is_sent_by_the_sweep(worker_env, start_worker):
    [lost] = step({**worker_env, "CELERY_BROKER_URL": DEAD_BROKER}, "create", "post@bakeriet.example")
    assert step(worker_env, "states") == {lost: "pending"}  # committed although no task could be queued

    # Beat inside the worker, its schedule in memory (the file-based default is for production).
    start_worker("--beat", "--scheduler", "celery.beat:Scheduler")
    wait_for(lambda: mails_to(worker_env, "post@bakeriet.example"), "the sweep to send the mail")
    wait_for(lambda: step(worker_env, "states") == {lost: "sent"}, "the row marked sent")
    assert len(mails_to(worker_env, "post@bakeriet.example")) == 1

"""Concurrency tests' helper: run calls at the same moment, one thread (and database connection) each.

Used to show that a state change happens exactly once (DESIGN invariant 2). On PostgreSQL the threads
wait on row locks; SQLite's shared-cache test database answers "table is locked" at once instead, so a
locked attempt is retried, which stands in for the wait (PostgreSQL never gets there).
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection

from lib.errors import ServiceError


def race(calls: list[Callable[[], Any]], result: Callable[[Any], Any] = lambda value: value) -> list:
    """What each call gave — `result(return value)`, or the ServiceError's code — in finishing order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        barrier.wait(timeout=10)
        try:
            outcomes.append(_attempt(call, result))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _attempt(call, result):
    for _ in range(500):
        try:
            return result(call())
        except ServiceError as err:
            return err.code
        except OperationalError as err:
            if connection.vendor != "sqlite" or "locked" not in str(err):
                raise
            time.sleep(0.005)
    raise AssertionError("the database stayed locked")

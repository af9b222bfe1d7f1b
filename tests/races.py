"""Concurrency tests' helper: run calls at the same moment, one thread (and database connection) each.

Used to show that a state change happens exactly once (DESIGN invariant 2). Only PostgreSQL proves
that: there the threads truly overlap and wait on each other's row locks, while SQLite serialises
every write, so the calls would run one after another and a missing compare-and-set would go unseen.
Tests that race are therefore marked `postgresql` (tests/conftest.py: not run on SQLite, and a failure
when REQUIRE_SERVICES=1, as in CI, where they must run).

A call that raises anything but a ServiceError fails the test: the loser of a race must get the
documented refusal, never a 500.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from lib.errors import ServiceError

TIMEOUT_SECONDS = 60


def race(calls: list[Callable[[], Any]], result: Callable[[Any], Any] = lambda value: value) -> list:
    """What each call gave — `result(return value)`, or the ServiceError's code — in finishing order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []
    unexpected: list[BaseException] = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            try:
                outcomes.append(result(call()))
            except ServiceError as err:
                outcomes.append(err.code)
        except BaseException as exc:  # noqa: BLE001 (handed to the test below)
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT_SECONDS)
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(calls)} racing calls did not finish within {TIMEOUT_SECONDS} s"
    if unexpected:
        raise AssertionError(
            f"{len(unexpected)} of {len(calls)} racing calls raised instead of answering: "
            + "; ".join(f"{type(exc).__name__}: {exc}" for exc in unexpected)
        ) from unexpected[0]
    return outcomes

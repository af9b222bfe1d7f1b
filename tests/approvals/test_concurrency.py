"""Exactly once under concurrency (DESIGN invariant 2): real threads, each with its own database
connection, racing to decide one request. Runs on PostgreSQL in CI and on SQLite locally."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from approvals.models import Notification, RequestStatus
from approvals.services import approve_request, reject_request
from registry.errors import ServiceError
from registry.models import AuditEvent, SystemUser

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def race(calls: list) -> list[str]:
    """Run the calls at the same moment, one thread each; the outcome of each: new status or error code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        barrier.wait(timeout=10)
        try:
            outcomes.append(attempt(call))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def attempt(call) -> str:
    for _ in range(500):
        try:
            return call().status
        except ServiceError as err:
            return err.code
        except OperationalError as err:
            # SQLite's in-memory test database (shared cache) answers "table is locked" at once where a
            # file database waits (busy timeout): retrying the whole transaction stands in for the wait.
            # PostgreSQL waits on the row lock and never gets here.
            if connection.vendor != "sqlite" or "locked" not in str(err):
                raise
            time.sleep(0.005)
    raise AssertionError("the database stayed locked")


def test_simultaneous_approvals_make_one_system_user(manager, vendor_request):
    outcomes = race([lambda: approve_request(request_id=vendor_request.id, by=manager)] * 8)
    assert sorted(outcomes) == ["AUTH-00013"] * 7 + [RequestStatus.ACCEPTED]
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.ACCEPTED
    assert SystemUser.objects.filter(pk=vendor_request.id).count() == SystemUser.objects.count() == 1
    assert AuditEvent.objects.filter(action="request.accepted").count() == 1
    assert AuditEvent.objects.filter(action="systemuser.created").count() == 1
    assert Notification.objects.filter(kind__in=["request.accepted", "request.rejected"]).count() == 1


def test_approve_racing_reject_makes_one_transition(manager, vendor_request):
    approve = lambda: approve_request(request_id=vendor_request.id, by=manager)  # noqa: E731
    reject = lambda: reject_request(request_id=vendor_request.id, by=manager)  # noqa: E731
    outcomes = race([approve, reject] * 4)
    winners = [o for o in outcomes if o != "AUTH-00013"]
    assert len(winners) == 1 and len(outcomes) == 8
    vendor_request.refresh_from_db()
    assert vendor_request.status == winners[0]
    assert SystemUser.objects.count() == (1 if winners[0] == RequestStatus.ACCEPTED else 0)
    assert AuditEvent.objects.filter(action__in=["request.accepted", "request.rejected"]).count() == 1
    assert Notification.objects.filter(kind__in=["request.accepted", "request.rejected"]).count() == 1

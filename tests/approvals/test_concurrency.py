"""Exactly once under concurrency (DESIGN invariant 2): real threads, each with its own database
connection, racing to decide one request. They need PostgreSQL (tests/races.py); CI runs them."""

import pytest

from approvals.models import RequestStatus
from approvals.system_user_requests import approve_request, reject_request
from registry.models import AuditEvent, Notification, SystemUser
from tests import races

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def race(calls: list) -> list[str]:
    """The outcome of each call: the new status, or the error code."""
    return races.race(calls, result=lambda decided: decided.status)


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

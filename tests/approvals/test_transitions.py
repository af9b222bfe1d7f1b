"""approvals.transitions, the rule shared by requests and change requests: the refusal a person gets
(code, status and the sentence they read), the compare-and-set New → decided when the caller's read is
stale, and the time-out sweep.

A stale read is how a race looks to the loser: it checked the request was New, then someone else
decided it. Here the other decision lands between the read and the compare-and-set, one after the
other, so the rule is tested on SQLite too (the threaded races are in test_concurrency.py, PostgreSQL).
"""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from approvals import transitions
from approvals.models import Request, RequestStatus
from approvals.system_user_requests import (
    approve_request,
    delete_request,
    get_request,
    reject_request,
    time_out_requests,
)
from lib.errors import ServiceError
from registry.models import AuditEvent, SystemUser
from tests.approvals.conftest import make_request

pytestmark = pytest.mark.django_db


def refusal(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        call(*args, **kwargs)
    return err.value


def said(err: ServiceError) -> tuple[str, int, str]:
    return err.code, err.status, err.detail


def long_ago(request, settings) -> None:
    created = timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS, minutes=1)
    Request.objects.filter(pk=request.pk).update(created=created)


# --- what a refused person reads -------------------------------------------------------------------


def test_a_party_other_than_the_requests_organisation_is_told_so(manager, vendor_request, other_vendor):
    err = refusal(approve_request, request_id=vendor_request.id, by=manager, party=other_vendor)
    assert said(err) == ("AUTH-00041", 403, "The party is not the organisation of the request")


def test_someone_who_may_not_act_for_the_organisation_is_told_so(outsider, vendor_request):
    err = refusal(approve_request, request_id=vendor_request.id, by=outsider)
    assert said(err) == ("AUTH-00041", 403, "You may not act for the organisation of this request")


def test_someone_who_is_not_access_manager_is_told_so(employee, vendor_request):
    err = refusal(reject_request, request_id=vendor_request.id, by=employee)
    assert said(err) == ("AUTH-00066", 403, "You are not access manager for this organisation")


def test_a_timed_out_request_says_so(manager, vendor_request, settings):
    long_ago(vendor_request, settings)
    err = refusal(approve_request, request_id=vendor_request.id, by=manager)
    assert said(err) == ("AUTH-00013", 409, "The request has timed out and can no longer be decided")


def test_a_decided_request_names_its_state(manager, vendor_request):
    reject_request(request_id=vendor_request.id, by=manager)
    err = refusal(approve_request, request_id=vendor_request.id, by=manager)
    assert said(err) == ("AUTH-00013", 409, "The request is already Rejected")


def test_an_unknown_request_of_the_vendor_is_not_found(vendor_request):
    queryset = Request.objects.filter(system__vendor=vendor_request.system.vendor)
    for raw_id in (uuid.uuid4(), "not-a-uuid", "", None):
        err = refusal(transitions.vendor_lookup, queryset, noun="request", raw_id=raw_id)
        assert said(err) == ("AUTH-00010", 404, "The request was not found")
    assert transitions.vendor_lookup(queryset, noun="request", raw_id=str(vendor_request.id)) == vendor_request
    assert transitions.vendor_lookup(queryset, noun="request", newest=True) == vendor_request


def test_a_look_up_without_an_id_finds_nothing_not_the_newest(vendor_request):
    """`get_request(None)` — an id lost on the way — is AUTH-00010, never the newest request of anyone
    (which the portal's page would then show to whoever may act for its organisation)."""
    err = refusal(get_request, None)
    assert said(err) == ("AUTH-00010", 404, "The request was not found")
    assert get_request(vendor_request.id) == vendor_request


# --- the compare-and-set ---------------------------------------------------------------------------


def test_a_decision_from_a_stale_read_changes_nothing(manager, employee, vendor_request):
    stale = Request.objects.get(pk=vendor_request.pk)  # read while New …
    reject_request(request_id=vendor_request.id, by=manager)  # … then someone else decides
    err = refusal(transitions.decide_once, stale, RequestStatus.ACCEPTED, employee, "request")
    assert said(err) == ("AUTH-00013", 409, "The request has already been decided")
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.REJECTED and vendor_request.decided_by == manager


def test_a_request_deleted_or_timed_out_after_the_read_is_not_decided(manager, system, customer, settings):
    deleted, old = make_request(system, customer), make_request(system, customer, external_ref="old")
    stale = [Request.objects.get(pk=deleted.pk), Request.objects.get(pk=old.pk)]
    Request.objects.filter(pk=deleted.pk).update(is_deleted=True)
    long_ago(old, settings)
    for request in stale:
        err = refusal(transitions.decide_once, request, RequestStatus.ACCEPTED, manager, "request")
        assert err.code == "AUTH-00013"
    assert set(Request.objects.values_list("status", flat=True)) == {RequestStatus.NEW}


def test_deciding_one_request_leaves_the_others_alone(manager, system, customer, vendor_request):
    other = make_request(system, customer, external_ref="other")
    transitions.decide_once(vendor_request, RequestStatus.ACCEPTED, manager, "request")
    other.refresh_from_db()
    assert other.status == RequestStatus.NEW and other.decided_by is None


# --- the time-out sweep ----------------------------------------------------------------------------


def test_the_sweep_times_out_each_old_open_request_and_audits_it(system, customer, settings):
    requests = [make_request(system, customer, external_ref=f"r{n}") for n in range(2)]
    for request in requests:
        long_ago(request, settings)
    before = timezone.now()
    assert time_out_requests() == 2
    for request in requests:
        request.refresh_from_db()
        assert request.status == RequestStatus.TIMEDOUT and request.decided_at >= before
        event = AuditEvent.objects.get(action="request.timedout", object_id=str(request.pk))
        assert (event.actor, event.object_type, event.party_orgno) == ("system", "request", customer.orgno)


def test_the_sweep_leaves_decided_and_deleted_requests_alone(manager, system, customer, settings):
    decided, deleted = make_request(system, customer), make_request(system, customer, external_ref="gone")
    approve_request(request_id=decided.id, by=manager)
    Request.objects.filter(pk=deleted.pk).update(is_deleted=True)
    for request in (decided, deleted):
        long_ago(request, settings)
    assert time_out_requests() == 0
    assert dict(Request.objects.values_list("pk", "status")) == {
        decided.pk: RequestStatus.ACCEPTED,
        deleted.pk: RequestStatus.NEW,
    }
    assert not AuditEvent.objects.filter(action="request.timedout").exists()


def test_a_request_decided_while_the_sweep_runs_stays_decided(manager, vendor_request, settings, monkeypatch):
    long_ago(vendor_request, settings)
    real_atomic = transitions.transaction.atomic

    def decided_meanwhile():
        # The sweep has listed the request as open; a decision lands before its compare-and-set.
        Request.objects.filter(pk=vendor_request.pk).update(status=RequestStatus.REJECTED, decided_by=manager)
        return real_atomic()

    monkeypatch.setattr(transitions, "transaction", SimpleNamespace(atomic=decided_meanwhile))
    assert time_out_requests() == 0
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.REJECTED
    assert not AuditEvent.objects.filter(action="request.timedout").exists()
    assert not SystemUser.objects.exists()


# --- the vendor's soft delete ----------------------------------------------------------------------


def test_the_vendors_delete_is_audited_once(vendor, customer, system, vendor_request):
    other = make_request(system, customer, external_ref="other")
    delete_request(vendor=vendor, request_id=str(vendor_request.pk), kind=vendor_request.kind, ip="192.0.2.8")
    assert dict(Request.objects.values_list("pk", "is_deleted")) == {vendor_request.pk: True, other.pk: False}
    event = AuditEvent.objects.get(action="request.deleted")
    assert (event.actor, event.object_type, event.object_id, event.party_orgno, event.ip) == (
        f"vendor:{vendor.orgno}",
        "request",
        str(vendor_request.pk),
        customer.orgno,
        "192.0.2.8",
    )


def test_a_delete_from_a_stale_read_is_not_found_and_audits_nothing_more(vendor, vendor_request):
    stale = Request.objects.get(pk=vendor_request.pk)  # read while live …
    delete_request(vendor=vendor, request_id=str(vendor_request.pk), kind=vendor_request.kind)  # … then deleted
    err = refusal(transitions.delete_once, stale, vendor=vendor, noun="request", ip=None)
    assert said(err) == ("AUTH-00010", 404, "The request was not found")
    assert AuditEvent.objects.filter(action="request.deleted").count() == 1


def test_a_change_requests_delete_is_audited_under_its_own_name(vendor, customer, vendor_request):
    from approvals.models import ChangeRequest

    su = SystemUser.objects.create(owner=customer, system=vendor_request.system, external_ref="x")
    change = ChangeRequest.objects.create(id=uuid.uuid4(), system_user=su, required_access_packages=["lonn"])
    transitions.delete_once(change, vendor=vendor, noun="change request", ip=None)
    event = AuditEvent.objects.get(action="changerequest.deleted")
    assert (event.object_type, event.object_id) == ("changerequest", str(change.pk))

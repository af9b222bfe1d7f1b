"""Every vendor event from its real trigger: the service the portal, the API, the admin and the beat
jobs call. Each event is a CloudEvents 1.0 object for the vendor that owns the system, with the ids the
vendor API uses, written in the same transaction as the change (a refused change writes none)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import change_requests, system_user_requests
from approvals.models import ChangeRequest
from lib.errors import ServiceError
from registry.models import VendorEvent
from registry.services import clients, lifecycle, systems
from tests import factories as f
from tests.approvals.conftest import make_request
from tests.portal.systemusers_helpers import make_system_user

SIGNING = "regnskapsforer-med-signeringsrettighet"


def only_event(**filters) -> VendorEvent:
    found = list(VendorEvent.objects.filter(**filters))
    assert len(found) == 1, [e.type for e in VendorEvent.objects.all()]
    return found[0]


def assert_cloudevent(event: VendorEvent, *, type: str, vendor, subject) -> dict:
    body = event.as_cloudevent()
    assert body["specversion"] == "1.0"
    assert body["id"] == str(event.id) and uuid.UUID(body["id"])
    assert body["source"].endswith("/authentication")
    assert body["type"] == type
    assert body["subject"] == str(subject)
    assert body["datacontenttype"] == "application/json"
    assert body["time"].endswith("Z")
    assert event.vendor_id == vendor.pk
    return body["data"]


@pytest.fixture
def system_user(manager, customer, system):
    return make_system_user(manager, customer, system)


def test_approving_a_request_tells_the_vendor_it_was_accepted(manager, customer, system, vendor):
    request = make_request(system, customer)
    system_user_requests.approve_request(request_id=request.id, by=manager)
    data = assert_cloudevent(
        only_event(type="no.systembruker.request.accepted"), type="no.systembruker.request.accepted",
        vendor=vendor, subject=request.id,
    )  # fmt: skip
    assert data == {
        "id": str(request.id),
        "kind": "standard",
        "systemId": system.system_id,
        "partyOrgNo": customer.orgno,
        "externalRef": customer.orgno,
        "status": "Accepted",
        "systemUserId": str(request.id),
    }


def test_rejecting_a_request_tells_the_vendor(manager, customer, system, vendor):
    request = make_request(system, customer)
    system_user_requests.reject_request(request_id=request.id, by=manager)
    data = assert_cloudevent(only_event(), type="no.systembruker.request.rejected", vendor=vendor, subject=request.id)
    assert data["status"] == "Rejected" and "systemUserId" not in data


def test_a_refused_approval_writes_no_event(employee, customer, system):
    request = make_request(system, customer)
    with pytest.raises(ServiceError):
        system_user_requests.approve_request(request_id=request.id, by=employee)
    assert not VendorEvent.objects.exists()


def test_an_approval_rolled_back_after_the_claim_writes_no_event(manager, customer, system):
    """The event is in the approval's transaction: when the system user cannot be made, neither is it."""
    request = make_request(system, customer, access_packages=["not-on-the-system"])
    with pytest.raises(ServiceError):
        system_user_requests.approve_request(request_id=request.id, by=manager)
    assert not VendorEvent.objects.exists()


def test_a_request_timing_out_tells_the_vendor(settings, customer, system, vendor):
    old = timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS + 1)
    request = make_request(system, customer, created=old)
    assert system_user_requests.time_out_requests() == 1
    data = assert_cloudevent(only_event(), type="no.systembruker.request.timedout", vendor=vendor, subject=request.id)
    assert data["status"] == "Timedout"
    system_user_requests.time_out_requests()  # the second run finds nothing: still one event
    assert VendorEvent.objects.count() == 1


def test_a_request_found_timed_out_by_a_new_post_tells_the_vendor_once(settings, customer, system, vendor):
    """A vendor posting the same request again after the time-out, before the hourly job ran: the old
    one times out there, through the same transition (one event, one audit event)."""
    from approvals.system_user_requests import RequestSpec, create_request
    from registry.models import AuditEvent

    old = make_request(system, customer, created=timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS + 1))
    spec = RequestSpec(
        kind="standard", system_id=system.system_id, party_orgno=customer.orgno,
        access_packages=["urn:altinn:accesspackage:skatt-naering"],
    )  # fmt: skip
    new, created = create_request(vendor=vendor, spec=spec)
    assert created and new.pk != old.pk
    assert only_event().type == "no.systembruker.request.timedout" and only_event().subject == str(old.pk)
    assert AuditEvent.objects.filter(action="request.timedout", object_id=str(old.pk)).count() == 1
    assert system_user_requests.time_out_requests() == 0
    assert VendorEvent.objects.count() == 1


@pytest.fixture
def change_request(system_user):
    return ChangeRequest.objects.create(
        id=uuid.uuid4(),
        system_user=system_user,
        required_access_packages=[],
        unwanted_rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
    )


def test_approving_a_change_request_tells_the_vendor_and_reports_what_it_took_away(
    manager, change_request, system_user, vendor
):
    change_requests.approve_change_request(change_request.id, by=manager)
    data = assert_cloudevent(
        only_event(type="no.systembruker.changerequest.accepted"), type="no.systembruker.changerequest.accepted",
        vendor=vendor, subject=change_request.id,
    )  # fmt: skip
    assert data["systemUserId"] == str(system_user.pk) and data["status"] == "Accepted"
    # The grants write path reports the right it removed, naming the change as the cause.
    revoked = only_event(type="no.systembruker.systemuser.access_revoked").data
    assert revoked["rights"] == [
        {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}
    ]
    assert revoked["accessPackages"] == [] and revoked["cause"] == "changerequest.approved"


def test_rejecting_a_change_request_tells_the_vendor(manager, change_request, vendor):
    change_requests.reject_change_request(change_request.id, by=manager)
    assert_cloudevent(
        only_event(), type="no.systembruker.changerequest.rejected", vendor=vendor, subject=change_request.id
    )


def test_a_change_request_timing_out_tells_the_vendor(settings, change_request, vendor):
    ChangeRequest.objects.filter(pk=change_request.pk).update(
        created=timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS + 1)
    )
    assert change_requests.time_out_change_requests() == 1
    assert_cloudevent(
        only_event(), type="no.systembruker.changerequest.timedout", vendor=vendor, subject=change_request.id
    )


def test_deleting_a_system_user_tells_the_vendor(manager, system_user, customer, system, vendor):
    lifecycle.delete_system_user(system_user_id=system_user.pk, by=manager)
    data = assert_cloudevent(
        only_event(), type="no.systembruker.systemuser.deleted", vendor=vendor, subject=system_user.pk
    )
    assert data == {
        "systemUserId": str(system_user.pk),
        "systemId": system.system_id,
        "partyOrgNo": customer.orgno,
        "externalRef": customer.orgno,
        "userType": "standard",
    }
    with pytest.raises(ServiceError):  # a second delete is refused, and tells nobody again
        lifecycle.delete_system_user(system_user_id=system_user.pk, by=manager)
    assert VendorEvent.objects.count() == 1


def test_revoking_a_package_tells_the_vendor(manager, system_user, vendor):
    lifecycle.revoke_package(system_user_id=system_user.pk, package="skatt-naering", by=manager)
    data = assert_cloudevent(
        only_event(), type="no.systembruker.systemuser.access_revoked", vendor=vendor, subject=system_user.pk
    )
    assert data["accessPackages"] == ["urn:altinn:accesspackage:skatt-naering"] and data["rights"] == []
    assert data["cause"] == "systemuser.package_revoked"


def test_revoking_a_right_tells_the_vendor(manager, system_user):
    lifecycle.revoke_right(system_user_id=system_user.pk, resource="ske-krav-og-betalinger", action="read", by=manager)
    assert only_event().data["rights"][0]["resource"][0]["value"] == "ske-krav-og-betalinger"


def test_creating_a_system_user_reports_no_revocation(system_user):
    """The grants write path adds on creation; only removals are an event."""
    assert not VendorEvent.objects.exists()


def test_adding_and_removing_clients_tells_the_vendor(accounting_firm, client_admin, vendor):
    agent_system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    agent = f.make_agent_system_user(accounting_firm, agent_system, [SIGNING])
    first, second = f.make_org("Klient En AS"), f.make_org("Klient To AS")
    for org in (first, second):
        f.give_role(accounting_firm, "REGN", org)
    clients.add_clients(system_user_id=agent.pk, orgnos=[first.orgno, second.orgno], by=client_admin)
    added = assert_cloudevent(
        only_event(), type="no.systembruker.systemuser.clients_added", vendor=vendor, subject=agent.pk
    )
    assert sorted(added["clients"]) == sorted([first.orgno, second.orgno]) and added["userType"] == "agent"
    clients.add_clients(system_user_id=agent.pk, orgnos=[first.orgno], by=client_admin)  # nothing new: no event
    assert VendorEvent.objects.count() == 1
    clients.remove_client(system_user_id=agent.pk, orgno=first.orgno, by=client_admin)
    removed = only_event(type="no.systembruker.systemuser.clients_removed")
    assert removed.data["clients"] == [first.orgno]


def test_a_staff_change_to_the_system_register_tells_the_vendor(system, vendor):
    systems.replace_rights(system=system, rights=[], actor="staff:ops")
    data = assert_cloudevent(
        only_event(), type="no.systembruker.system.changed", vendor=vendor, subject=system.system_id
    )
    assert data["systemId"] == system.system_id and data["changeType"] == "rights_changed"
    assert data["changes"]["rights"]["new"] == []


def test_a_staff_change_that_changes_nothing_is_no_event(system):
    systems.replace_packages(system=system, urns=[], actor="staff:ops")
    systems.replace_packages(system=system, urns=[], actor="staff:ops")  # again: nothing to tell
    assert only_event().data["changeType"] == "accesspackages_changed"


def test_a_change_by_an_admin_scope_caller_tells_the_vendor(system, other_vendor):
    systems.replace_rights(system=system, rights=[], actor=f"vendor:{other_vendor.orgno}")
    assert only_event().type == "no.systembruker.system.changed"


def test_the_vendors_own_change_to_its_system_is_no_event(system):
    """The vendor made it; it needs no telling."""
    systems.replace_rights(system=system, rights=[], actor=f"vendor:{system.vendor.orgno}")
    assert not VendorEvent.objects.exists()


def test_events_belong_to_the_vendor_of_the_system(manager, customer, system, other_vendor):
    other_system = f.make_system(other_vendor, "annet")
    system_user_requests.reject_request(request_id=make_request(system, customer).id, by=manager)
    system_user_requests.reject_request(request_id=make_request(other_system, customer).id, by=manager)
    assert VendorEvent.objects.filter(vendor=other_vendor).count() == 1
    assert VendorEvent.objects.filter(vendor=system.vendor).count() == 1


def test_old_vendor_events_go_with_their_deliveries_and_the_cursor_stays_valid(manager, customer, system, settings):
    from housekeeping.retention import purge_expired_data
    from registry.models import WebhookDelivery, WebhookSubscription

    WebhookSubscription.objects.create(vendor=system.vendor, url="https://hooks.vendor.example/", secret="whsec_x")
    system_user_requests.reject_request(request_id=make_request(system, customer).id, by=manager)
    old = VendorEvent.objects.get()
    VendorEvent.objects.filter(pk=old.pk).update(
        time=timezone.now() - timedelta(days=settings.RETENTION_VENDOR_EVENT_DAYS, minutes=1)
    )
    other = f.make_org("Ny Klient AS")
    f.give_role(manager, "DAGL", other)
    system_user_requests.reject_request(request_id=make_request(system, other).id, by=manager)
    assert purge_expired_data(only=["vendor_events"])["vendor_events"].count == 1
    assert [e.data["partyOrgNo"] for e in VendorEvent.objects.all()] == [other.orgno]
    assert WebhookDelivery.objects.count() == 1  # the old event's delivery went with it
    assert VendorEvent.objects.filter(seq__gt=old.seq).count() == 1  # a cursor at the old event reads on


def test_a_self_developed_systems_changes_are_its_owners_own_and_no_event(system):
    type(system).objects.filter(pk=system.pk).update(is_self_developed=True)
    system.refresh_from_db()
    systems.replace_rights(system=system, rights=[], actor="person:12837540109")
    assert not VendorEvent.objects.exists()

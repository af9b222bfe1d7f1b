from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from approvals.models import Request, RequestStatus
from approvals.system_user_requests import (
    approve_request,
    escalate_request,
    get_request,
    reject_request,
    time_out_requests,
)
from lib.errors import ServiceError
from registry.models import AuditEvent, Notification, SystemRight, SystemUser
from tests import factories as f
from tests.approvals.conftest import make_request


def _refused(code, service, **kwargs):
    with pytest.raises(ServiceError) as err:
        service(**kwargs)
    assert err.value.code == code, err.value.detail
    return err.value


def test_approving_creates_the_system_user_with_the_requests_id(manager, customer, vendor_request):
    approve_request(request_id=vendor_request.id, by=manager)
    su = SystemUser.objects.get()
    assert su.id == vendor_request.id
    assert su.owner == customer and su.external_ref == customer.orgno
    assert su.integration_title == "Fakturering for bakeriet"
    assert list(su.packages.values_list("package_id", flat=True)) == ["skatt-naering"]
    assert list(su.rights.values_list("resource_id", "action")) == [("ske-krav-og-betalinger", "read")]
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.ACCEPTED
    assert vendor_request.decided_by == manager and vendor_request.decided_at is not None


def test_approving_records_one_audit_event_and_tells_the_vendor(manager, vendor, vendor_request, mailoutbox):
    approve_request(request_id=vendor_request.id, by=manager, ip="10.0.0.7")
    event = AuditEvent.objects.get(action="request.accepted")
    assert event.object_id == str(vendor_request.id) and event.actor == f"person:{manager.pid}"
    assert event.ip == "10.0.0.7"
    notification = Notification.objects.get()
    assert notification.kind == "request.accepted" and notification.recipient == vendor.email


def test_the_vendor_mail_goes_out_after_commit(manager, vendor, vendor_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve_request(request_id=vendor_request.id, by=manager)
    assert [m.to for m in mail.outbox] == [[vendor.email]]
    assert "har godkjent" in mail.outbox[0].subject
    assert Notification.objects.get().status == "sent"


def test_rejecting_sets_rejected_and_creates_no_system_user(manager, vendor_request):
    reject_request(request_id=vendor_request.id, by=manager)
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.REJECTED
    assert not SystemUser.objects.exists()
    assert AuditEvent.objects.filter(action="request.rejected", object_id=str(vendor_request.id)).count() == 1
    assert Notification.objects.get().kind == "request.rejected"


def test_a_decided_request_cannot_be_decided_again(manager, vendor_request):
    approve_request(request_id=vendor_request.id, by=manager)
    _refused("AUTH-00013", reject_request, request_id=vendor_request.id, by=manager)
    _refused("AUTH-00013", approve_request, request_id=vendor_request.id, by=manager)
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.ACCEPTED
    assert SystemUser.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="request.").count() == 1
    assert Notification.objects.count() == 1


def test_an_employee_without_access_manager_rights_may_not_approve(employee, vendor_request):
    err = _refused("AUTH-00066", approve_request, request_id=vendor_request.id, by=employee)
    assert err.status == 403
    _refused("AUTH-00066", reject_request, request_id=vendor_request.id, by=employee)
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW


def test_an_outsider_is_refused_as_not_acting_for_the_party(outsider, vendor_request):
    err = _refused("AUTH-00041", approve_request, request_id=vendor_request.id, by=outsider)
    assert err.status == 403
    _refused("AUTH-00041", escalate_request, request_id=vendor_request.id, by=outsider)


def test_a_party_other_than_the_requests_org_is_refused(manager, vendor_request, other_vendor):
    _refused("AUTH-00041", approve_request, request_id=vendor_request.id, by=manager, party=other_vendor)


def test_an_unknown_or_deleted_request_is_not_found(manager, vendor_request):
    import uuid

    err = _refused("AUTH-00010", approve_request, request_id=uuid.uuid4(), by=manager)
    assert err.status == 404
    Request.objects.filter(pk=vendor_request.pk).update(is_deleted=True)
    _refused("AUTH-00010", approve_request, request_id=vendor_request.id, by=manager)


def test_a_timed_out_request_cannot_be_approved(manager, vendor_request, settings):
    Request.objects.filter(pk=vendor_request.pk).update(
        created=timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS, minutes=1)
    )
    _refused("AUTH-00013", approve_request, request_id=vendor_request.id, by=manager)
    assert not SystemUser.objects.exists()


def test_delegation_check_failure_names_the_items_and_changes_nothing(customer, vendor_request):
    admin = f.make_person("Tilgang Styrer")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=admin)
    err = _refused("AUTH-00053", approve_request, request_id=vendor_request.id, by=admin)
    assert {(x.kind, x.item, x.reason) for x in err.items} == {
        ("package", "skatt-naering", "not_held"),
        ("right", "ske-krav-og-betalinger:read", "not_held"),
    }
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW
    assert not SystemUser.objects.exists()
    assert not AuditEvent.objects.exists() and not Notification.objects.exists()


def test_approval_revalidates_against_the_systems_current_rights(manager, system, vendor_request):
    SystemRight.objects.filter(system=system).delete()
    err = _refused("AUTH-00001", approve_request, request_id=vendor_request.id, by=manager)
    assert err.items == ["ske-krav-og-betalinger:read"]
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW and not SystemUser.objects.exists()


def test_approval_is_refused_when_the_system_access_already_exists(manager, customer, system, vendor_request):
    from registry.services.system_users import create_system_user

    create_system_user(by=manager, party=customer, system=system, packages=["skatt-naering"], rights=[])
    _refused("AUTH-00004", approve_request, request_id=vendor_request.id, by=manager)
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.NEW


def test_approving_an_agent_request_creates_an_agent_system_user(manager, agent_request):
    approve_request(request_id=agent_request.id, by=manager)
    su = SystemUser.objects.get(pk=agent_request.id)
    assert su.user_type == "agent"
    assert list(su.packages.values_list("package_id", flat=True)) == ["regnskapsforer-med-signeringsrettighet"]


def test_escalating_marks_the_request_and_mails_the_access_managers(
    employee, manager, customer, vendor_request, django_capture_on_commit_callbacks
):
    second = f.make_person("Tone Tilgang")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=second)
    with django_capture_on_commit_callbacks(execute=True):
        escalate_request(request_id=vendor_request.id, by=employee)
    vendor_request.refresh_from_db()
    assert vendor_request.escalated and vendor_request.status == RequestStatus.NEW
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, second.email])
    assert employee.name in mail.outbox[0].body
    assert f"/systemuser/request?id={vendor_request.id}" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="request.escalated").count() == 1


def test_escalating_twice_notifies_once(employee, vendor_request):
    escalate_request(request_id=vendor_request.id, by=employee)
    escalate_request(request_id=vendor_request.id, by=employee)
    assert Notification.objects.filter(kind="request.escalated").count() == 1
    assert AuditEvent.objects.filter(action="request.escalated").count() == 1


def test_escalating_a_decided_request_is_refused(manager, employee, vendor_request):
    reject_request(request_id=vendor_request.id, by=manager)
    _refused("AUTH-00013", escalate_request, request_id=vendor_request.id, by=employee)


def test_old_open_requests_time_out_once(system, customer, settings):
    old = make_request(system, customer)
    fresh = make_request(system, customer, external_ref="other")
    Request.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS + 1))
    assert time_out_requests() == 1
    assert time_out_requests() == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == RequestStatus.TIMEDOUT and fresh.status == RequestStatus.NEW
    assert AuditEvent.objects.filter(action="request.timedout", object_id=str(old.pk)).count() == 1


@pytest.mark.parametrize("age_past_cutoff, open_", [(timedelta(0), False), (timedelta(microseconds=-1), True)])
def test_every_reader_of_the_time_out_agrees_at_the_cut_off(
    system, customer, settings, monkeypatch, age_past_cutoff, open_
):
    """The page (timed_out), the overview (pending), the e-mail's date (expires_at) and the beat job read one rule."""
    settings.REQUEST_TIMEOUT_DAYS = 10
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    request_obj = make_request(system, customer, created=now - timedelta(days=10) - age_past_cutoff)
    assert request_obj.timed_out is not open_ and request_obj.is_open is open_
    assert Request.objects.pending().filter(pk=request_obj.pk).exists() is open_
    assert (request_obj.expires_at > now) is open_
    assert time_out_requests() == (0 if open_ else 1)


def test_one_look_up_serves_the_vendor_and_the_business(system, customer, vendor_request):
    """get_request: any live request for the business's pages; only its own for a vendor; AUTH-00010 for
    a malformed id, a wrong kind, another vendor's request, a deleted one."""
    assert get_request(vendor_request.id) == vendor_request
    assert get_request(str(vendor_request.id), kind="standard", vendor=system.vendor) == vendor_request
    other_vendor = f.make_org("Annen leverandør AS")
    for raw_id, kwargs in [
        ("not-a-uuid", {}),
        (vendor_request.id, {"kind": "agent"}),
        (vendor_request.id, {"vendor": other_vendor}),
    ]:
        _refused("AUTH-00010", get_request, request_id=raw_id, **kwargs)
    Request.objects.filter(pk=vendor_request.pk).update(is_deleted=True)
    _refused("AUTH-00010", get_request, request_id=vendor_request.id)

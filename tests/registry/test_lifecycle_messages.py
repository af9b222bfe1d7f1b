"""What deleting a system user and revoking its rights tell the people involved: the vendor's e-mail
(subject and text), the audit event, and the refusal a person reads (code, status, text, items)."""

import pytest
from django.utils import timezone

from lib.errors import ServiceError
from registry.models import AuditEvent, Notification, SystemUser
from registry.services import lifecycle
from tests.portal.systemusers_helpers import make_system_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def su(manager, customer, system):
    return make_system_user(manager, customer, system, integration_title="Fakturering", external_ref="ref-7")


def described(su) -> str:
    """The system user as the e-mail describes it (registry/email/_system_user.txt, bokmål by default)."""
    return (
        f"System: {su.system.system_id}\n"
        f"Systemtilgang: {su.pk} (Fakturering)\n"
        f"Virksomhet: Bakeriet Nordmann AS ({su.owner.orgno})\n"
        "Ekstern referanse: ref-7\n"
    )


def told(kind: str) -> Notification:
    notification = Notification.objects.get(kind=kind)
    event = AuditEvent.objects.get(action=kind)
    assert notification.object_id == f"{event.object_id}/{event.pk}"  # one e-mail per change
    return notification


def refusal(call, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as err:
        call(**kwargs)
    return err.value


def test_the_vendor_is_told_of_a_deletion(manager, customer, su):
    before = timezone.now()
    deleted = lifecycle.delete_system_user(system_user_id=su.pk, by=manager, ip="192.0.2.4")
    assert deleted.is_deleted and deleted.deleted_at >= before
    mail = told("systemuser.deleted")
    assert mail.subject == f"Systemtilgang slettet: {su.system.system_id} for {customer.orgno}"
    assert mail.body == (
        "Bakeriet Nordmann AS har slettet en systemtilgang til systemet deres. Den får ikke lenger tokens og har "
        f"ikke lenger noen rettigheter.\n\n{described(su)}"
    )
    event = AuditEvent.objects.get(action="systemuser.deleted")
    assert (event.data, event.ip, event.actor_person) == ({"system": su.system.system_id}, "192.0.2.4", manager)


def test_the_vendor_is_told_of_a_revoked_package(manager, customer, su):
    lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager, ip="192.0.2.5")
    mail = told("systemuser.package_revoked")
    assert mail.subject == f"Tilgangspakke fjernet: {su.system.system_id} for {customer.orgno}"
    assert mail.body == (
        "Bakeriet Nordmann AS har fjernet tilgangspakken urn:altinn:accesspackage:skatt-naering fra en "
        f"systemtilgang til systemet deres. Det gjelder straks.\n\n{described(su)}"
    )
    assert AuditEvent.objects.get(action="systemuser.package_revoked").ip == "192.0.2.5"


def test_the_vendor_is_told_of_a_revoked_right(manager, customer, su):
    lifecycle.revoke_right(system_user_id=su.pk, resource="ske-krav-og-betalinger", action="read", by=manager)
    assert not su.rights.exists()
    mail = told("systemuser.right_revoked")
    assert mail.subject == f"Enkeltrettighet fjernet: {su.system.system_id} for {customer.orgno}"
    assert mail.body == (
        "Bakeriet Nordmann AS har fjernet enkeltrettigheten ske-krav-og-betalinger:read (ressurs:handling) fra en "
        f"systemtilgang til systemet deres. Det gjelder straks.\n\n{described(su)}"
    )
    event = AuditEvent.objects.get(action="systemuser.right_revoked")
    assert (event.data["resource"], event.data["action"]) == ("ske-krav-og-betalinger", "read")
    assert event.data["removed"]["rights"] == [{"resource": "ske-krav-og-betalinger", "action": "read"}]


def test_a_right_or_package_it_does_not_have_is_refused_by_name(manager, su):
    err = refusal(lifecycle.revoke_package, system_user_id=su.pk, package="lonn", by=manager)
    assert (err.code, err.status, err.detail, err.items) == (
        "AUTH-00063",
        400,
        "The system access does not have the package lonn",
        ["lonn"],
    )
    err = refusal(lifecycle.revoke_right, system_user_id=su.pk, resource="ske-krav-og-betalinger", by=manager)
    assert (err.code, err.status, err.detail, err.items) == (
        "AUTH-00001",
        400,
        "The system access does not have the right ske-krav-og-betalinger:*",
        ["ske-krav-og-betalinger:*"],
    )
    assert su.rights.count() == 1 and su.packages.count() == 1
    assert not AuditEvent.objects.filter(action__endswith="_revoked").exists()


def test_the_refusals_say_what_is_wrong(manager, employee, outsider, su):
    err = refusal(lifecycle.delete_system_user, system_user_id=su.pk, by=outsider)
    assert (err.code, err.status, err.detail) == ("AUTH-00015", 404, "System user not found")
    err = refusal(lifecycle.delete_system_user, system_user_id=su.pk, by=employee)
    assert (err.code, err.status, err.detail) == ("AUTH-00066", 403, "You are not access manager for this organisation")
    lifecycle.delete_system_user(system_user_id=su.pk, by=manager)
    err = refusal(lifecycle.delete_system_user, system_user_id=su.pk, by=manager)
    assert (err.code, err.status, err.detail) == ("AUTH-00015", 404, "System access is already deleted")
    err = refusal(lifecycle.revoke_package, system_user_id=su.pk, package="skatt-naering", by=manager)
    assert (err.code, err.status, err.detail) == ("AUTH-00015", 404, "System user not found")


def test_an_unknown_system_user_is_not_found_for_staff_too(su):
    SystemUser.objects.filter(pk=su.pk).delete()
    err = refusal(lifecycle.delete_system_user, system_user_id=su.pk, by=None, actor="staff:ops")
    assert (err.code, err.status) == ("AUTH-00015", 404)


def test_staff_may_delete_with_an_actor_label(su):
    lifecycle.delete_system_user(system_user_id=su.pk, by=None, actor="staff:ops")
    event = AuditEvent.objects.get(action="systemuser.deleted")
    assert event.actor == "staff:ops" and event.actor_person is None


def test_an_agent_system_users_packages_are_refused_with_the_reason(manager, customer, vendor):
    from registry.models import SystemUserType
    from tests import factories as f

    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    agent = make_system_user(
        manager, customer, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    err = refusal(lifecycle.revoke_package, system_user_id=agent.pk, package="regnskapsforer-lonn", by=manager)
    assert (err.code, err.status, err.detail) == (
        "STD-00000",
        400,
        "Packages of an agent system access cannot be revoked one by one",
    )

"""Deleting system users and revoking their packages and rights (registry.services.lifecycle)."""

import pytest
from django.utils import translation

from lib.errors import ServiceError
from registry.models import AuditEvent, Notification, SystemUser, SystemUserType
from registry.services import lifecycle
from tests import factories as f
from tests.portal.systemusers_helpers import make_system_user
from tests.races import race


@pytest.fixture
def su(manager, customer, system):
    return make_system_user(manager, customer, system)


def test_revoke_package_removes_only_that_package(manager, su):
    lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager)
    assert su.packages.count() == 0 and su.rights.count() == 1
    event = AuditEvent.objects.get(action="systemuser.package_revoked")
    assert event.object_id == str(su.pk) and event.actor_person == manager and event.data["package"] == "skatt-naering"
    # Every change of grants records the rows it changed, the same way (registry.services.grants).
    assert event.data["removed"] == {"packages": ["skatt-naering"], "rights": []}
    assert event.data["added"] == {"packages": [], "rights": []}


def test_revoke_right_removes_only_that_right(manager, su):
    lifecycle.revoke_right(system_user_id=su.pk, resource="ske-krav-og-betalinger", action="read", by=manager)
    assert su.rights.count() == 0 and su.packages.count() == 1
    event = AuditEvent.objects.get(action="systemuser.right_revoked", object_id=str(su.pk))
    assert event.data["removed"]["rights"] == [{"resource": "ske-krav-og-betalinger", "action": "read"}]


def test_each_change_e_mails_every_vendor_address_once(
    manager, su, vendor, mailoutbox, django_capture_on_commit_callbacks
):
    vendor.email = "drift@vendor.example; varsel@vendor.example"
    vendor.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager)
        lifecycle.delete_system_user(system_user_id=su.pk, by=manager)
    rows = Notification.objects.order_by("kind", "recipient").values_list("kind", "recipient")
    assert list(rows) == [
        ("systemuser.deleted", "drift@vendor.example"),
        ("systemuser.deleted", "varsel@vendor.example"),
        ("systemuser.package_revoked", "drift@vendor.example"),
        ("systemuser.package_revoked", "varsel@vendor.example"),
    ]
    assert len(mailoutbox) == 4  # Celery runs eagerly in tests; sent after commit
    assert any(str(su.pk) in m.body and "Systemtilgang slettet" in m.subject for m in mailoutbox)


def test_a_second_revoke_of_the_same_package_is_refused_and_writes_nothing(manager, su):
    lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager)
    with pytest.raises(ServiceError) as err:
        lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager)
    assert err.value.code == "AUTH-00063"
    assert AuditEvent.objects.filter(action="systemuser.package_revoked").count() == 1
    assert Notification.objects.filter(kind="systemuser.package_revoked").count() == 1


def test_a_second_delete_is_refused_and_writes_nothing(manager, su):
    lifecycle.delete_system_user(system_user_id=su.pk, by=manager)
    with pytest.raises(ServiceError) as err:
        lifecycle.delete_system_user(system_user_id=su.pk, by=manager)
    assert err.value.code == "AUTH-00015"
    assert AuditEvent.objects.filter(action="systemuser.deleted").count() == 1
    assert not SystemUser.objects.live().exists()


def test_a_deleted_system_access_cannot_have_rights_revoked(manager, su):
    lifecycle.delete_system_user(system_user_id=su.pk, by=manager)
    with pytest.raises(ServiceError) as err:
        lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager)
    assert err.value.code == "AUTH-00015"


def test_employee_may_not_revoke_or_delete(employee, su):
    for call in (
        lambda: lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=employee),
        lambda: lifecycle.delete_system_user(system_user_id=su.pk, by=employee),
    ):
        with pytest.raises(ServiceError) as err:
            call()
        assert err.value.code == "AUTH-00066" and err.value.status == 403
    assert su.packages.count() == 1 and not SystemUser.objects.get(pk=su.pk).is_deleted


def test_outsider_is_told_not_found(outsider, su):
    with pytest.raises(ServiceError) as err:
        lifecycle.revoke_right(system_user_id=su.pk, resource="ske-krav-og-betalinger", action="read", by=outsider)
    assert err.value.code == "AUTH-00015" and err.value.status == 404


def test_operator_staff_may_revoke_with_an_actor_label(su):
    lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=None, actor="staff:ops")
    assert AuditEvent.objects.get(action="systemuser.package_revoked").actor == "staff:ops"


def test_agent_packages_are_not_revoked_one_by_one(manager, customer, vendor):
    agent_system = f.make_system(vendor, "klientsystem", rights=[], packages=["regnskapsforer-lonn"])
    agent = make_system_user(
        manager, customer, agent_system, packages=["regnskapsforer-lonn"], rights=[], user_type=SystemUserType.AGENT
    )
    with pytest.raises(ServiceError):
        lifecycle.revoke_package(system_user_id=agent.pk, package="regnskapsforer-lonn", by=manager)
    assert agent.packages.count() == 1


def _race(target, n=4):
    """Run `target` in n threads at once; what each raised (None = succeeded)."""
    return race([target] * n, result=lambda _: None)


@pytest.fixture
def outbox_only(monkeypatch):
    """Keep the outbox rows but send nothing: the race is about the state change, not the mailer."""
    from registry.tasks import deliver_notification

    monkeypatch.setattr(deliver_notification, "delay", lambda *args: None)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_revokes_of_one_package_give_one_event_and_one_e_mail(manager, su, outbox_only):
    outcomes = _race(lambda: lifecycle.revoke_package(system_user_id=su.pk, package="skatt-naering", by=manager))
    assert sorted(outcomes, key=str) == ["AUTH-00063"] * 3 + [None]  # the others are told it is gone
    assert AuditEvent.objects.filter(action="systemuser.package_revoked").count() == 1
    assert Notification.objects.filter(kind="systemuser.package_revoked").count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_deletes_give_one_event_and_one_e_mail(manager, su, outbox_only):
    outcomes = _race(lambda: lifecycle.delete_system_user(system_user_id=su.pk, by=manager))
    assert sorted(outcomes, key=str) == ["AUTH-00015"] * 3 + [None]  # the others are told it is gone
    assert AuditEvent.objects.filter(action="systemuser.deleted").count() == 1
    assert Notification.objects.filter(kind="systemuser.deleted").count() == 1


def test_the_vendors_mail_is_written_in_the_recipients_language_not_the_actors(manager, su):
    with translation.override("en"):  # the person revoking reads the portal in English
        lifecycle.revoke_right(system_user_id=su.pk, resource="ske-krav-og-betalinger", action="read", by=manager)
    mail = Notification.objects.get(kind="systemuser.right_revoked")
    assert mail.subject.startswith("Enkeltrettighet fjernet: ")
    assert "har fjernet enkeltrettigheten ske-krav-og-betalinger:read" in mail.body
    assert f"Systemtilgang: {su.pk} (" in mail.body and f"Ekstern referanse: {su.external_ref}" in mail.body

"""Staff admin: parties, catalog, audit events and system users."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from registry import access, audit, usage
from registry.models import (
    AccessPackage,
    Area,
    AuditEvent,
    Organisation,
    PackageDelegation,
    Person,
    Resource,
    Role,
    RoleAssignment,
    RolePackage,
    SystemUser,
    TokenRefusal,
)
from registry.services.system_users import create_system_user
from tests import factories as f

OWNED = [Organisation, Person, Role, RoleAssignment, PackageDelegation, Area, AccessPackage, RolePackage, Resource]
READ_ONLY = [AuditEvent, SystemUser, TokenRefusal]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def inline_management(*prefixes: str) -> dict:
    data = {}
    for prefix in prefixes:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("drift", "drift@digdir.example", None)
    client.force_login(user)
    return client


@pytest.fixture
def system_user(manager, customer, system):
    return create_system_user(
        by=manager,
        party=customer,
        system=system,
        packages=["skatt-naering"],
        rights=[],
        integration_title="Fakturering",
    )


@pytest.fixture
def sample_rows(system_user, manager, customer, employee):
    """One row of every model, so every change page has something to show."""
    AuditEvent.objects.create(action="test.event", actor="test")
    usage.record_refusal(client_id="c", party_orgno=customer.orgno, reason="replayed")


@pytest.mark.parametrize("model", OWNED + READ_ONLY, ids=lambda m: m.__name__)
def test_every_list_page_renders_for_staff(staff, sample_rows, model):
    assert model in admin.site._registry
    response = staff.get(url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", OWNED, ids=lambda m: m.__name__)
def test_every_add_form_renders_for_staff(staff, sample_rows, model):
    assert staff.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", OWNED + READ_ONLY, ids=lambda m: m.__name__)
def test_every_change_page_renders_for_staff(staff, sample_rows, model):
    obj = model.objects.first()

    assert staff.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_staff_cannot_add_read_only_objects(staff, model):
    assert staff.get(url(model, "add")).status_code == 403


def test_the_organisation_form_refuses_an_org_number_that_fails_mod11(staff, db):
    data = {"orgno": "311000005", "name": "Feil AS", "form": "AS", "email": "post@feil.example"}
    data.update(inline_management("roles_given", "roles_held", "delegations_given"))

    response = staff.post(url(Organisation, "add"), data)

    assert response.status_code == 200
    assert "is not a valid organisation number (mod-11 check digit)" in response.text
    assert not Organisation.objects.filter(orgno="311000005").exists()


def test_the_organisation_form_refuses_a_bad_email_address(staff, db):
    data = {"orgno": "311000004", "name": "Riktig AS", "form": "AS", "email": "post@riktig.example, ikke-epost"}
    data.update(inline_management("roles_given", "roles_held", "delegations_given"))

    response = staff.post(url(Organisation, "add"), data)

    assert "is not a valid e-mail address" in response.text
    assert not Organisation.objects.exists()


def test_staff_adds_an_organisation_and_the_edit_is_audited(staff, db):
    data = {"orgno": "311000004", "name": "Riktig AS", "form": "AS", "email": "post@riktig.example"}
    data.update(inline_management("roles_given", "roles_held", "delegations_given"))

    response = staff.post(url(Organisation, "add"), data)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.organisation.created")
    assert event.actor == "staff:drift"
    assert event.party_orgno == "311000004"


def test_staff_give_a_firm_a_client_from_the_firms_page(staff, accounting_firm, customer):
    data = {"orgno": accounting_firm.orgno, "name": accounting_firm.name, "form": "AS", "email": accounting_firm.email}
    data.update(inline_management("roles_given", "delegations_given"))
    data.update({"roles_held-TOTAL_FORMS": "1", "roles_held-INITIAL_FORMS": "0"})
    data.update({"roles_held-0-role": "regnskapsforer", "roles_held-0-of": customer.pk})

    response = staff.post(url(Organisation, "change", accounting_firm.pk), data)

    assert response.status_code == 302
    assert "regnskapsforer-lonn" in access.packages_of_org_for(accounting_firm, customer)


def test_an_organisation_cannot_become_its_own_ancestor(staff, db):
    parent = f.make_org("Mor AS")
    child = Organisation.objects.create(orgno=f.next_orgno(), name="Datter AS", parent=parent)
    data = {"orgno": parent.orgno, "name": parent.name, "form": "AS", "email": parent.email, "parent": child.pk}
    data.update(inline_management("roles_given", "roles_held", "delegations_given"))

    response = staff.post(url(Organisation, "change", parent.pk), data)

    assert "cannot be its own parent" in response.text
    assert Organisation.objects.get(pk=parent.pk).parent is None


def test_the_person_form_refuses_a_bad_national_identity_number(staff, db):
    response = staff.post(url(Person, "add"), {"pid": "12837540108", "name": "Feil Nummer"})

    assert "is not a valid national identity number" in response.text
    assert not Person.objects.exists()


def test_a_role_assignment_needs_exactly_one_holder(staff, customer, manager, accounting_firm):
    data = {"role": "daglig-leder", "of": customer.pk, "holder_person": manager.pk, "holder_org": accounting_firm.pk}

    response = staff.post(url(RoleAssignment, "add"), data)

    assert "choose exactly one holder" in response.text
    assert RoleAssignment.objects.count() == 1  # the manager's own DAGL


def test_a_package_delegation_needs_exactly_one_recipient(staff, customer):
    response = staff.post(url(PackageDelegation, "add"), {"package": "lonn", "from_org": customer.pk})

    assert "choose exactly one recipient" in response.text
    assert not PackageDelegation.objects.exists()


def test_the_resource_form_refuses_a_bad_owner_and_a_bad_action(staff, db):
    data = {
        "id": "ny-ressurs",
        "title_nb": "Ny",
        "title_nn": "Ny",
        "title_en": "New",
        "owner_orgno": "974761077",
        "delegable": "on",
        "policy_rules-TOTAL_FORMS": "1",
        "policy_rules-INITIAL_FORMS": "0",
        "policy_rules-0-package": "lonn",
        "policy_rules-0-action": "les og skriv",
    }

    response = staff.post(url(Resource, "add"), data)

    assert "is not a valid organisation number" in response.text
    assert "is not a valid action" in response.text
    assert not Resource.objects.filter(id="ny-ressurs").exists()


def test_staff_adds_a_resource_with_its_policy(staff, db):
    data = {
        "id": "ny-ressurs",
        "title_nb": "Ny",
        "title_nn": "Ny",
        "title_en": "New",
        "owner_orgno": "974761076",
        "delegable": "on",
        "policy_rules-TOTAL_FORMS": "1",
        "policy_rules-INITIAL_FORMS": "0",
        "policy_rules-0-package": "lonn",
        "policy_rules-0-action": "read",
    }

    response = staff.post(url(Resource, "add"), data)

    assert response.status_code == 302
    assert list(Resource.objects.get(id="ny-ressurs").policy_rules.values_list("package_id", "action")) == [
        ("lonn", "read")
    ]
    assert AuditEvent.objects.filter(action="admin.resource.changed", data__policyrule__created=1).exists()


def test_the_access_package_form_refuses_a_bad_code(staff, db):
    data = {"code": "Ny Pakke", "urn": "urn:altinn:accesspackage:ny", "name_nb": "x", "name_nn": "x", "name_en": "x"}
    data["entity_type"] = "Organization"

    response = staff.post(url(AccessPackage, "add"), data)

    assert "is not a package code" in response.text
    assert not AccessPackage.objects.filter(name_nb="x").exists()


def test_audit_events_cannot_be_changed_or_deleted(staff, db):
    event = AuditEvent.objects.create(action="systemuser.created", actor="person:1", reason="original")

    change = staff.post(url(AuditEvent, "change", event.pk), {"reason": "endret"})
    delete = staff.post(url(AuditEvent, "delete", event.pk), {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == "original"
    page = staff.get(url(AuditEvent, "changelist"))
    assert "delete_selected" not in page.text


def _listed(page) -> set[str]:
    return set(re.findall(r'<td class="field-action">([^<]+)</td>', page.text))


def test_staff_find_audit_events_by_system_user_client_organisation_action_and_time(staff, system_user, customer):
    audit.record("token.refused", actor="client:client-x", object_type="client", object_id="client-x")
    audit.record("client.key_added", actor="staff:drift", object_type="client", object_id="client-y")
    old = audit.record("systemuser.package_revoked", actor="person:1", object_type="systemuser", object_id="x")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=400))
    changelist = url(AuditEvent, "changelist")
    assert _listed(staff.get(changelist, {"q": str(system_user.pk)})) == {"systemuser.created"}
    assert _listed(staff.get(changelist, {"q": "client-x"})) == {"token.refused"}
    assert _listed(staff.get(changelist, {"q": customer.orgno})) == {"systemuser.created"}
    assert _listed(staff.get(changelist, {"action": "client.key_added"})) == {"client.key_added"}
    since = (timezone.now() - timedelta(days=30)).isoformat()
    assert "systemuser.package_revoked" not in _listed(staff.get(changelist, {"at__gte": since}))
    assert _listed(staff.get(changelist, {"q": "revoked"})) == {"systemuser.package_revoked"}


def test_system_users_cannot_be_edited_or_hard_deleted(staff, system_user):
    change = staff.post(url(SystemUser, "change", system_user.pk), {"integration_title": "Endret"})
    delete = staff.post(url(SystemUser, "delete", system_user.pk), {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    system_user.refresh_from_db()
    assert system_user.integration_title == "Fakturering" and not system_user.is_deleted


def test_the_soft_delete_action_deletes_and_audits(staff, system_user):
    response = staff.post(
        url(SystemUser, "changelist"), {"action": "soft_delete", "_selected_action": [str(system_user.pk)]}, follow=True
    )

    system_user.refresh_from_db()
    assert system_user.is_deleted
    assert "1 systemtilgang er slettet" in response.text
    event = AuditEvent.objects.get(action="systemuser.deleted", object_id=str(system_user.pk))
    assert event.actor == "staff:drift"


def test_the_soft_delete_action_on_a_deleted_system_user_changes_nothing(staff, system_user):
    SystemUser.objects.filter(pk=system_user.pk).update(is_deleted=True)

    response = staff.post(
        url(SystemUser, "changelist"), {"action": "soft_delete", "_selected_action": [str(system_user.pk)]}, follow=True
    )

    assert "Ingen av de valgte systemtilgangene var aktive" in response.text
    assert not AuditEvent.objects.filter(action="systemuser.deleted").exists()


def test_staff_without_delete_permission_do_not_get_the_soft_delete_action(client, django_user_model, system_user):
    user = django_user_model.objects.create_user("support", password=None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_systemuser"))
    client.force_login(user)

    page = client.get(url(SystemUser, "changelist"))
    client.post(url(SystemUser, "changelist"), {"action": "soft_delete", "_selected_action": [str(system_user.pk)]})

    assert page.status_code == 200
    assert "soft_delete" not in page.text
    system_user.refresh_from_db()
    assert not system_user.is_deleted


@pytest.mark.parametrize("term", ["{orgno}", "{id}", "{system}", "ikke-en-uuid", "Fakturering"])
def test_system_users_can_be_searched_by_id_org_and_system(staff, system_user, term):
    q = term.format(orgno=system_user.owner.orgno, id=system_user.pk, system=system_user.system.system_id)

    response = staff.get(url(SystemUser, "changelist"), {"q": q})

    assert response.status_code == 200
    found = str(system_user.pk) in response.text
    assert found == (term != "ikke-en-uuid")

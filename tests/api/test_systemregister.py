"""System register API: a vendor registers, reads, replaces, changes and deletes its own systems."""

import uuid

import pytest

from registry.models import AuditEvent, RegisteredSystem, SystemClient, SystemUser, VendorEvent
from tests import factories as f
from tests.api.conftest import ADMIN, REQUEST_READ, WRITE, assert_problem, system_body


def test_a_vendor_registers_a_system_and_gets_its_internal_id(api, vendor):
    response = api.post("systemregister/vendor", system_body(vendor))
    assert response.status_code == 200
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_lonn")
    assert response.json() == str(system.uuid)
    assert system.vendor == vendor
    assert list(system.clients.values_list("client_id", flat=True)) == ["6f1c8e8a-3d1f-4a43-9a57-2f2b7a3c9d10"]
    assert [(r.resource_id, r.action) for r in system.rights.all()] == [("ske-innrapportering-a-melding", "")]
    assert list(system.packages.values_list("package_id", flat=True)) == ["lonn"]
    assert system.changelog.get().change_type == "created"
    assert AuditEvent.objects.filter(action="system.created", object_id=system.system_id).exists()


def test_the_vendor_reads_its_full_system_back_as_it_sent_it(api, vendor):
    api.post("systemregister/vendor", system_body(vendor))
    body = api.get(f"systemregister/vendor/{vendor.orgno}_lonn").json()
    sent = system_body(vendor)
    for key in ("id", "vendor", "name", "description", "accessPackages", "clientId", "allowedRedirectUrls"):
        assert body[key] == sent[key], key
    assert body["rights"] == [
        {"action": None, "resource": [{"id": "urn:altinn:resource", "value": "ske-innrapportering-a-melding"}]}
    ]
    assert body["isVisible"] is True
    assert body["isDeleted"] is False


def test_field_names_are_matched_without_regard_to_case(api, vendor):
    body = {k.upper() if k != "vendor" else "Vendor": v for k, v in system_body(vendor).items()}
    body["Vendor"] = {"AUTHORITY": "iso6523-actorid-upis", "id": f"0192:{vendor.orgno}"}
    body["ALLOWEDREDIRECTURLS"] = ["https://lonn.example/callback"]
    response = api.post("systemregister/vendor", body)
    assert response.status_code == 200, response.json()
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_lonn")
    assert system.allowed_redirect_urls == ["https://lonn.example/callback"]


def test_unicode_names_are_kept(api, vendor):
    name = {"nb": "Øko-lønn – Æøå 🧾", "nn": "Lønsprogram ÆØÅ", "en": "Ωmega payroll"}
    assert api.post("systemregister/vendor", system_body(vendor, name=name)).status_code == 200
    assert api.get(f"systemregister/vendor/{vendor.orgno}_lonn").json()["name"] == name


def test_the_vendor_lists_only_its_own_live_systems(api, vendor, other_vendor, system):
    f.make_system(other_vendor, "konkurrent")
    deleted = f.make_system(vendor, "gammel")
    RegisteredSystem.objects.filter(pk=deleted.pk).update(is_deleted=True)
    ids = [s["id"] for s in api.get("systemregister/vendor").json()]
    assert ids == [system.system_id]


def test_replacing_a_system_changes_every_field_and_logs_what_changed(api, vendor):
    api.post("systemregister/vendor", system_body(vendor))
    body = system_body(
        vendor,
        name={"nb": "Nytt navn"},
        clientId=["new-client"],
        allowedRedirectUrls=["https://ny.example/cb"],
        accessPackages=[{"urn": "urn:altinn:accesspackage:a-ordning"}],
    )
    response = api.put(f"systemregister/vendor/{vendor.orgno}_lonn", body)
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == {"nb": "Nytt navn"}
    assert response.json()["clientId"] == ["new-client"]
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_lonn")
    assert list(system.packages.values_list("package_id", flat=True)) == ["a-ordning"]
    assert not SystemClient.objects.filter(client_id="6f1c8e8a-3d1f-4a43-9a57-2f2b7a3c9d10").exists()
    log = api.get(f"systemregister/vendor/{vendor.orgno}_lonn/changelog").json()
    assert [entry["changeType"] for entry in log] == ["created", "updated"]
    assert log[1]["changedBy"] == f"vendor:{vendor.orgno}"
    assert log[1]["changedData"]["name"] == {"old": system_body(vendor)["name"], "new": {"nb": "Nytt navn"}}
    assert "description" not in log[1]["changedData"]


def test_replacing_rights_does_not_touch_existing_system_users(api, vendor, system, customer):
    system_user = SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref="x")
    rights = [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-mva-melding"}]}]
    response = api.put(f"systemregister/vendor/{system.system_id}/rights", rights)
    assert response.status_code == 200, response.json()
    assert response.json() == rights
    assert [(r.resource_id, r.action) for r in system.rights.all()] == [("ske-mva-melding", "read")]
    assert not system_user.rights.exists()
    assert system.changelog.get().change_type == "rights_changed"


def test_replacing_packages_answers_the_new_list_and_logs_it(api, system):
    packages = [{"urn": "urn:altinn:accesspackage:merverdiavgift"}, {"urn": "urn:altinn:accesspackage:lonn"}]
    response = api.put(f"systemregister/vendor/{system.system_id}/accesspackages", packages)
    assert response.status_code == 200, response.json()
    assert sorted(p["urn"] for p in response.json()) == sorted(p["urn"] for p in packages)
    entry = system.changelog.get()
    assert entry.change_type == "accesspackages_changed"
    assert entry.data["accessPackages"]["old"] == ["urn:altinn:accesspackage:skatt-naering"]


def changing_puts(vendor) -> dict[str, object]:
    """For each PUT of the system register, a body that changes the system `system_body(vendor)` registers."""
    return {
        "": system_body(vendor, name={"nb": "Nytt navn"}),
        "/rights": [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-mva-melding"}]}],
        "/accesspackages": [{"urn": "urn:altinn:accesspackage:a-ordning"}],
    }


@pytest.mark.parametrize("put", ["", "/rights", "/accesspackages"])
def test_a_retried_put_answers_as_the_first_and_leaves_no_trace(api, api_as, vendor, other_vendor, put):
    """Integrations retry. The admin scope's change is told to the vendor once, not once per retry."""
    api.post("systemregister/vendor", system_body(vendor))
    admin, path = api_as(other_vendor, ADMIN), f"systemregister/vendor/{vendor.orgno}_lonn"
    body = changing_puts(vendor)[put]
    first = admin.put(path + put, body)
    assert first.status_code == 200, first.json()
    log = api.get(path + "/changelog").json()
    assert len(log) == 2
    audit_events = AuditEvent.objects.filter(object_id=f"{vendor.orgno}_lonn").count()
    retried = admin.put(path + put, body)
    assert (retried.status_code, retried.json()) == (200, first.json())
    assert api.get(path + "/changelog").json() == log
    assert AuditEvent.objects.filter(object_id=f"{vendor.orgno}_lonn").count() == audit_events
    assert VendorEvent.objects.count() == 1


def test_putting_a_system_as_it_is_does_not_move_its_updated_time(api, vendor):
    api.post("systemregister/vendor", system_body(vendor))
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_lonn")
    assert api.put(f"systemregister/vendor/{system.system_id}", system_body(vendor)).status_code == 200
    assert RegisteredSystem.objects.get(pk=system.pk).updated == system.updated
    assert [entry["changeType"] for entry in api.get(f"systemregister/vendor/{system.system_id}/changelog").json()] == [
        "created"
    ]


def test_a_put_that_changes_one_field_logs_that_field_only(api, vendor):
    path = f"systemregister/vendor/{vendor.orgno}_lonn"
    api.post("systemregister/vendor", system_body(vendor))
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_lonn")
    api.put(path, system_body(vendor))  # nothing new
    assert api.put(path, system_body(vendor, description={"nb": "Ny"})).status_code == 200
    log = api.get(path + "/changelog").json()
    assert [(entry["changeType"], entry["changedData"]) for entry in log[1:]] == [
        ("updated", {"description": {"old": {"nb": "Lønn og a-melding"}, "new": {"nb": "Ny"}}})
    ]
    assert RegisteredSystem.objects.get(pk=system.pk).updated > system.updated


def test_deleting_a_system_hides_it_and_frees_its_client_ids(api, other_api, vendor, other_vendor, system):
    response = api.delete(f"systemregister/vendor/{system.system_id}")
    assert response.status_code == 200
    system.refresh_from_db()
    assert system.is_deleted
    assert not SystemClient.objects.filter(client_id="client-fakturering").exists()
    assert api.get(f"systemregister/{system.system_id}").status_code == 404
    assert api.get(f"systemregister/vendor/{system.system_id}").json()["isDeleted"] is True
    reuse = other_api.post("systemregister/vendor", system_body(other_vendor, clientId=["client-fakturering"]))
    assert reuse.status_code == 200, reuse.json()
    assert [e["changeType"] for e in api.get(f"systemregister/vendor/{system.system_id}/changelog").json()] == [
        "deleted"
    ]


def test_deleting_twice_is_not_found_the_second_time(api, system):
    assert api.delete(f"systemregister/vendor/{system.system_id}").status_code == 200
    assert_problem(api.delete(f"systemregister/vendor/{system.system_id}"), 404, "AUTH-00011")
    assert system.changelog.count() == 1


def test_writing_another_vendors_system_is_forbidden_and_changes_nothing(other_api, system):
    path = f"systemregister/vendor/{system.system_id}"
    assert_problem(other_api.delete(path), 403, "AUTH-00016")
    assert_problem(other_api.put(path + "/rights", []), 403, "AUTH-00016")
    assert_problem(other_api.put(path + "/accesspackages", []), 403, "AUTH-00016")
    assert_problem(other_api.get(path), 403, "AUTH-00016")
    assert_problem(other_api.get(path + "/changelog"), 403, "AUTH-00016")
    system.refresh_from_db()
    assert not system.is_deleted
    assert system.rights.count() == 1
    assert system.packages.count() == 1


def test_registering_in_another_vendors_name_is_forbidden(other_api, vendor):
    assert_problem(other_api.post("systemregister/vendor", system_body(vendor)), 403, "AUTH-00016")
    assert not RegisteredSystem.objects.exists()


def test_the_admin_scope_may_write_any_vendors_system(api_as, other_vendor, vendor, system):
    admin = api_as(other_vendor, ADMIN)
    assert admin.post("systemregister/vendor", system_body(vendor)).status_code == 200
    assert admin.delete(f"systemregister/vendor/{system.system_id}").status_code == 200


def test_an_unknown_system_is_not_found(api, vendor):
    assert_problem(api.get(f"systemregister/vendor/{vendor.orgno}_finnesikke"), 404, "AUTH-00011")
    assert_problem(api.put(f"systemregister/vendor/{vendor.orgno}_finnesikke/rights", []), 404, "AUTH-00011")
    assert_problem(api.get(f"systemregister/{vendor.orgno}_finnesikke"), 404, "AUTH-00011")


# --- portal-facing reads -------------------------------------------------------------------------------


def test_any_token_of_ours_lists_the_visible_live_systems(api_as, outsider, vendor, system):
    f.make_system(vendor, "skjult", visible=False)
    reader = api_as(f.make_org("Hvem som helst AS"), REQUEST_READ)
    body = reader.get("systemregister").json()
    assert [s["systemId"] for s in body] == [system.system_id]
    assert body[0]["systemVendorOrgNumber"] == vendor.orgno
    assert "clientId" not in body[0]


def test_one_system_its_rights_and_packages_are_public_to_token_holders(api_as, system):
    reader = api_as(f.make_org("Leser AS"), REQUEST_READ)
    assert reader.get(f"systemregister/{system.system_id}").json()["name"]["nb"] == "Fakturering"
    assert reader.get(f"systemregister/{system.system_id}/rights").json() == [
        {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}
    ]
    assert reader.get(f"systemregister/{system.system_id}/accesspackages").json() == [
        {"urn": "urn:altinn:accesspackage:skatt-naering"}
    ]


def test_a_logged_in_portal_user_may_read_the_register(client, manager, system):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username=f"pid:{manager.pid}")
    client.force_login(user)
    response = client.get("/authentication/api/v1/systemregister")
    assert response.status_code == 200
    assert [s["systemId"] for s in response.json()] == [system.system_id]


def test_nobody_else_may_read_the_register(anonymous, system):
    assert_problem(anonymous.get("systemregister"), 401, "HTTP-401")


def test_reading_the_vendor_list_needs_the_write_scope(api_as, vendor):
    assert_problem(api_as(vendor, REQUEST_READ).get("systemregister/vendor"), 403, "HTTP-403")
    assert api_as(vendor, WRITE).get("systemregister/vendor").status_code == 200


def test_the_register_list_takes_a_bounded_number_of_queries(api, vendor, django_assert_max_num_queries):
    for i in range(5):
        f.make_system(vendor, f"sys{i}", client_ids=[str(uuid.uuid4())])
    with django_assert_max_num_queries(8):
        assert len(api.get("systemregister/vendor").json()) == 5
    with django_assert_max_num_queries(8):
        assert len(api.get("systemregister").json()) == 5


def test_packages_and_rights_come_back_in_the_order_the_vendor_gave_them(api, api_as, vendor):
    """Issue 18, item 8: as Altinn, which returns them as stored; they used to come back sorted."""
    packages = [{"urn": f"urn:altinn:accesspackage:{code}"} for code in ("skatt-naering", "lonn", "merverdiavgift")]
    rights = [
        {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-mva-melding"}]},
        {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]},
    ]
    body = system_body(vendor, rights=rights, accessPackages=packages)
    assert api.post("systemregister/vendor", body).status_code == 200
    system_id = body["id"]
    reader = api_as(f.make_org("Leser AS"), REQUEST_READ)
    assert reader.get(f"systemregister/{system_id}/accesspackages").json() == packages
    assert reader.get(f"systemregister/{system_id}/rights").json() == rights
    vendor_read = api.get(f"systemregister/vendor/{system_id}").json()
    assert vendor_read["accessPackages"] == packages and vendor_read["rights"] == rights
    reordered = packages[::-1]
    assert api.put(f"systemregister/vendor/{system_id}/accesspackages", reordered).json() == reordered
    assert reader.get(f"systemregister/{system_id}/accesspackages").json() == reordered


def test_client_ids_come_back_in_the_order_the_vendor_gave_them(api, vendor):
    """CONTRACT §7: `clientId` as stored, like the other lists; it used to come back sorted."""
    ids = ["c-" + str(uuid.uuid4()), "a-" + str(uuid.uuid4()), "b-" + str(uuid.uuid4())]
    body = system_body(vendor, clientId=ids)
    assert api.post("systemregister/vendor", body).status_code == 200
    assert api.get(f"systemregister/vendor/{body['id']}").json()["clientId"] == ids
    reordered = [ids[2], "0-" + str(uuid.uuid4()), ids[0]]  # one dropped, one new, the rest reordered
    assert api.put(f"systemregister/vendor/{body['id']}", {**body, "clientId": reordered}).status_code == 200
    assert api.get(f"systemregister/vendor/{body['id']}").json()["clientId"] == reordered

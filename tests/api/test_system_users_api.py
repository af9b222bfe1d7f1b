"""System users as the vendor sees them: look-up by query and the list of a system's system users."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registry import usage
from registry.models import SystemUser
from tests import factories as f
from tests.api.conftest import REQUEST_WRITE, WRITE, assert_problem, validation_codes


def make_user(system, owner, ref=None, **kw):
    return SystemUser.objects.create(
        integration_title="Fakturering hos klienten", owner=owner, system=system, external_ref=ref or owner.orgno, **kw
    )


def test_the_vendor_finds_a_system_user_by_system_org_and_external_ref(api, system, customer, vendor):
    user = make_user(system, customer)
    response = api.get("systemuser/vendor/byquery", **{"system-id": system.system_id, "orgno": customer.orgno})
    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.id),
        "integrationTitle": "Fakturering hos klienten",
        "systemId": system.system_id,
        "productName": "Fakturering",
        "reporteeOrgNo": customer.orgno,
        "created": user.created.astimezone(timezone.UTC).isoformat().replace("+00:00", "Z"),
        "isDeleted": False,
        "supplierName": vendor.name,
        "supplierOrgno": vendor.orgno,
        "externalRef": customer.orgno,
        "userType": "standard",
        "lastUsed": None,
    }


def test_the_vendor_sees_when_a_system_user_last_got_a_token(api, system, customer):
    user = make_user(system, customer)
    earlier, last = timezone.now() - timedelta(days=3), timezone.now() - timedelta(minutes=5)
    usage.record_token(system_user_id=user.id, client_id="client-a", at=earlier)
    usage.record_token(system_user_id=user.id, client_id="client-b", at=last)
    found = api.get("systemuser/vendor/byquery", **{"system-id": system.system_id, "orgno": customer.orgno}).json()
    assert found["lastUsed"] == last.astimezone(timezone.UTC).isoformat().replace("+00:00", "Z")
    listed = api.get(f"systemuser/vendor/bysystem/{system.system_id}").json()["data"]
    assert [u["lastUsed"] for u in listed] == [found["lastUsed"]]


def test_the_external_ref_narrows_the_look_up(api, system, customer):
    make_user(system, customer)
    other = make_user(system, customer, "lager")
    params = {"system-id": system.system_id, "orgno": customer.orgno, "external-ref": "lager"}
    assert api.get("systemuser/vendor/byquery", **params).json()["id"] == str(other.id)


def test_a_deleted_or_foreign_system_user_is_not_found(api, other_api, system, customer):
    make_user(system, customer, is_deleted=True)
    params = {"system-id": system.system_id, "orgno": customer.orgno}
    assert_problem(api.get("systemuser/vendor/byquery", **params), 404, "AUTH-00015")
    make_user(system, customer)
    assert_problem(other_api.get("systemuser/vendor/byquery", **params), 404, "AUTH-00015")


@pytest.mark.parametrize("params", [{}, {"system-id": "x"}, {"system-id": "x", "orgno": "123456789"}])
def test_a_look_up_without_valid_parameters_is_a_validation_error(api, params):
    assert validation_codes(api.get("systemuser/vendor/byquery", **params))


def test_the_look_up_needs_the_request_write_scope(api_as, vendor, system):
    assert_problem(api_as(vendor, WRITE).get("systemuser/vendor/byquery"), 403, "HTTP-403")


def test_the_system_users_of_a_system_come_in_pages(api, system, django_assert_max_num_queries):
    users = [make_user(system, f.make_org()) for _ in range(51)]
    SystemUser.objects.filter(pk=users[0].pk).update(created=timezone.now() - timedelta(days=1))
    make_user(f.make_system(system.vendor, "annet"), f.make_org())
    with django_assert_max_num_queries(6):
        first = api.get(f"systemuser/vendor/bysystem/{system.system_id}").json()
    assert len(first["data"]) == 50
    assert first["data"][0]["id"] == str(users[0].id)
    token = first["links"]["next"].split("token=")[1]
    second = api.get(f"systemuser/vendor/bysystem/{system.system_id}", token=token).json()
    assert len(second["data"]) == 1
    assert second["links"]["next"] is None


def test_another_vendors_system_users_are_not_listed(other_api, system, customer):
    make_user(system, customer)
    assert_problem(other_api.get(f"systemuser/vendor/bysystem/{system.system_id}"), 404, "AUTH-00011")


def test_the_list_needs_the_systemregister_write_scope(api_as, vendor, system):
    assert_problem(api_as(vendor, REQUEST_WRITE).get(f"systemuser/vendor/bysystem/{system.system_id}"), 403, "HTTP-403")

"""Vendor change requests: ask a customer to change a system user's rights, with the vendor's correlation id."""

import uuid

import pytest

from approvals.models import ChangeRequest, RequestStatus
from registry.models import AuditEvent, SystemUser, SystemUserPackage, SystemUserRight, SystemUserType
from tests import factories as f
from tests.api.conftest import REQUEST_READ, assert_problem, validation_codes

RES = "urn:altinn:resource"
KRAV_READ = {"action": "read", "resource": [{"id": RES, "value": "ske-krav-og-betalinger"}]}
SKATT = {"urn": "urn:altinn:accesspackage:skatt-naering"}


@pytest.fixture
def system_user(system, customer):
    user = SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref=customer.orgno)
    SystemUserRight.objects.create(system_user=user, resource_id="ske-krav-og-betalinger", action="read")
    return user


def post(api, system_user, body, correlation_id=None):
    correlation_id = correlation_id or str(uuid.uuid4())
    query = f"?correlation-id={correlation_id}&system-user-id={system_user.id}"
    return api.post("systemuser/changerequest/vendor" + query, body)


def test_a_change_request_takes_the_correlation_id_as_its_id(api, system_user, customer, system, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    correlation_id = str(uuid.uuid4())
    response = post(api, system_user, {"requiredAccessPackages": [SKATT]}, correlation_id)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] == correlation_id
    assert data["status"] == "New"
    assert data["systemUserId"] == str(system_user.id)
    assert data["partyOrgNo"] == customer.orgno
    assert data["confirmUrl"] == f"https://portal.example/systemuser/changerequest?id={correlation_id}"
    assert data["requiredAccessPackages"] == [SKATT]
    assert response["Location"].endswith(f"/systemuser/changerequest/vendor/{correlation_id}")
    assert ChangeRequest.objects.get(pk=correlation_id).required_access_packages == ["skatt-naering"]
    assert AuditEvent.objects.filter(action="changerequest.created", object_id=correlation_id).exists()


def test_posting_the_same_correlation_id_again_returns_the_same_change_request(api, system_user):
    correlation_id = str(uuid.uuid4())
    post(api, system_user, {"requiredAccessPackages": [SKATT]}, correlation_id)
    again = post(api, system_user, {"requiredAccessPackages": [SKATT]}, correlation_id)
    assert again.status_code == 200
    assert ChangeRequest.objects.count() == 1


def test_nothing_to_change_is_no_change_needed(api, system_user):
    response = post(api, system_user, {"requiredRights": [KRAV_READ], "unwantedAccessPackages": [SKATT]})
    assert response.status_code == 201
    assert response.json()["status"] == "NoChangeNeeded"


def test_removing_a_held_package_is_a_change(api, system_user):
    SystemUserPackage.objects.create(system_user=system_user, package_id="skatt-naering")
    assert post(api, system_user, {"unwantedAccessPackages": [SKATT]}).json()["status"] == "New"


def test_a_used_correlation_id_of_a_decided_change_request_is_auth_00061(api, system_user):
    correlation_id = str(uuid.uuid4())
    post(api, system_user, {"requiredAccessPackages": [SKATT]}, correlation_id)
    ChangeRequest.objects.filter(pk=correlation_id).update(status=RequestStatus.ACCEPTED)
    assert_problem(post(api, system_user, {"requiredAccessPackages": [SKATT]}, correlation_id), 409, "AUTH-00061")


def test_the_correlation_id_may_not_be_the_system_users_id(api, system_user):
    response = post(api, system_user, {"requiredAccessPackages": [SKATT]}, str(system_user.id))
    assert validation_codes(response) == ["STD.VLD-00001"]


@pytest.mark.parametrize("query", ["", "?correlation-id=x&system-user-id=y", "?system-user-id={su}"])
def test_missing_or_malformed_ids_are_validation_errors(api, system_user, query):
    response = api.post("systemuser/changerequest/vendor" + query.format(su=system_user.id), {})
    assert validation_codes(response) == ["STD.VLD-00001"]


def test_another_vendors_system_user_is_auth_00015(other_api, system_user):
    assert_problem(post(other_api, system_user, {"requiredAccessPackages": [SKATT]}), 404, "AUTH-00015")
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    "body, code",
    [
        (
            {"requiredRights": [{"action": "write", "resource": [{"id": RES, "value": "ske-mva-melding"}]}]},
            "AUTH-00001",
        ),
        ({"requiredAccessPackages": [{"urn": "urn:altinn:accesspackage:lonn"}]}, "AUTH-00063"),
        ({"requiredAccessPackages": [SKATT], "redirectUrl": "https://evil.example/callback"}, "AUTH-00021"),
    ],
)
def test_what_the_system_does_not_have_is_refused(api, system_user, body, code):
    assert_problem(post(api, system_user, body), 400, code)
    assert not ChangeRequest.objects.exists()


def test_the_same_resource_twice_in_one_right_is_that_one_right(api, system_user):
    # One parser for rights from the wire (registry/wire.py), as in a request and in the system register.
    attribute = {"id": RES, "value": "ske-mva-melding"}
    response = post(api, system_user, {"unwantedRights": [{"action": "read", "resource": [attribute, attribute]}]})
    assert response.status_code in (200, 201), response.json()
    change_request = ChangeRequest.objects.get()
    assert change_request.unwanted_rights == [{"resource": "ske-mva-melding", "action": "read"}]


def test_a_right_naming_no_single_resource_is_auth_00001(api, system_user):
    odd = {"action": "read", "resource": [{"id": "urn:altinn:app", "value": "ske-mva-melding"}]}
    assert_problem(post(api, system_user, {"unwantedRights": [odd]}), 400, "AUTH-00001")
    assert not ChangeRequest.objects.exists()


def test_a_client_package_for_a_standard_system_user_is_auth_00064(api, vendor, customer):
    system = f.make_system(vendor, "byra", packages=["regnskapsforer-lonn"], visible=False)
    user = SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref="x")
    response = post(api, user, {"requiredAccessPackages": [{"urn": "urn:altinn:accesspackage:regnskapsforer-lonn"}]})
    assert_problem(response, 400, "AUTH-00064")


def test_rights_for_an_agent_system_user_are_auth_00058(api, vendor, customer):
    system = f.make_system(vendor, "byra", packages=["regnskapsforer-lonn"], visible=False)
    user = SystemUser.objects.create(
        integration_title="x", owner=customer, system=system, external_ref="x", user_type=SystemUserType.AGENT
    )
    assert_problem(post(api, user, {"requiredRights": [KRAV_READ]}), 400, "AUTH-00058")


def test_the_vendor_reads_lists_and_deletes_its_change_requests(api, other_api, system_user, system, customer):
    change_id = post(api, system_user, {"requiredAccessPackages": [SKATT]}).json()["id"]
    assert api.get(f"systemuser/changerequest/vendor/{change_id}").json()["id"] == change_id
    path = f"systemuser/changerequest/vendor/byexternalref/{system.system_id}/{customer.orgno}/{customer.orgno}"
    assert api.get(path).json()["id"] == change_id
    page = api.get(f"systemuser/changerequest/vendor/bysystem/{system.system_id}").json()
    assert [c["id"] for c in page["data"]] == [change_id]
    assert_problem(other_api.get(f"systemuser/changerequest/vendor/{change_id}"), 404, "AUTH-00010")
    assert_problem(other_api.delete(f"systemuser/changerequest/vendor/{change_id}"), 404, "AUTH-00010")
    assert api.delete(f"systemuser/changerequest/vendor/{change_id}").status_code == 202
    assert_problem(api.get(f"systemuser/changerequest/vendor/{change_id}"), 404, "AUTH-00010")


def test_creating_needs_the_write_scope(api_as, vendor, system_user):
    assert_problem(post(api_as(vendor, REQUEST_READ), system_user, {}), 403, "HTTP-403")

"""A business's self-developed system is not in the system register as vendors see it: not listed, not
readable, not writable, not requestable, its system access not in any vendor list — not even for the
business itself calling the vendor API with its own vendor token."""

import pytest

from maskinporten.self_developed import OwnIntegration, create_own_integration
from tests.api.conftest import ADMIN, ALL_VENDOR_SCOPES
from tests.maskinporten.test_self_developed import own_key, pem

KRAV_READ = {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}


@pytest.fixture
def own(manager, customer):
    spec = OwnIntegration(
        name={"nb": "Egen kobling"},
        public_key=pem(own_key()),
        client_id="egen-kobling",
        rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
    )
    return create_own_integration(by=manager, org=customer, spec=spec)


@pytest.fixture(params=["owner", "admin"])
def caller(request, api_as, customer, vendor):
    """The business itself with every vendor scope, and another vendor with the admin scope."""
    if request.param == "owner":
        return api_as(customer, *ALL_VENDOR_SCOPES)
    return api_as(vendor, *ALL_VENDOR_SCOPES, ADMIN)


def test_it_is_in_no_list(caller, own, system):
    public = caller.get("systemregister")
    assert public.status_code == 200 and own.system.system_id not in public.content.decode()
    vendor_list = caller.get("systemregister/vendor")
    assert vendor_list.status_code == 200 and own.system.system_id not in vendor_list.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "systemregister/{id}",
        "systemregister/{id}/rights",
        "systemregister/{id}/accesspackages",
        "systemregister/vendor/{id}",
        "systemregister/vendor/{id}/changelog",
        "systemuser/vendor/bysystem/{id}",
        "systemuser/request/vendor/bysystem/{id}",
        "systemuser/changerequest/vendor/bysystem/{id}",
    ],
)
def test_reading_it_is_not_found(caller, own, path):
    response = caller.get(path.format(id=own.system.system_id))
    assert response.status_code == 404, response.content


def test_it_can_not_be_replaced_or_deleted(caller, own):
    path = f"systemregister/vendor/{own.system.system_id}"
    body = {"id": own.system.system_id, "vendor": {"ID": f"0192:{own.owner.orgno}"}, "name": {"nb": "Kapret"}}
    assert caller.put(path, body).status_code == 404
    assert caller.put(path + "/rights", [KRAV_READ]).status_code == 404
    assert caller.delete(path).status_code == 404
    own.system.refresh_from_db()
    assert not own.system.is_deleted and own.system.name["nb"] == "Egen kobling"


def test_it_can_not_be_requested(caller, own, customer):
    body = {"systemId": own.system.system_id, "partyOrgNo": customer.orgno, "rights": [KRAV_READ]}
    response = caller.post("systemuser/request/vendor", body)
    assert response.status_code == 404 and response.json()["code"] == "AUTH-00011"


def test_its_system_access_is_not_found_by_query_nor_changeable(caller, own, customer):
    query = caller.get("systemuser/vendor/byquery", **{"system-id": own.system.system_id, "orgno": customer.orgno})
    assert query.status_code == 404
    change = caller.post(
        f"systemuser/changerequest/vendor?correlation-id=5d3f2a8e-0c1b-4e6a-9f1d-2b7c8e9a0d11&system-user-id={own.pk}",
        {"requiredRights": [KRAV_READ]},
    )
    assert change.status_code == 404

"""Our APIs take a platform token wherever they take an access token, with the same scope and vendor rules:
the vendor API, systemuser/byExternalId, the PDP's caller and the demo API provider. Each test runs with
both kinds of token. The PDP decides on the system user as it is now, so a platform token made from a
system-user token stops working the moment the system user is deleted or its grant revoked."""

import json

import pytest

from registry.models import SystemUserPackage
from registry.services.lifecycle import delete_system_user, revoke_package
from tests import factories as f
from tests.authorization.conftest import make_system_user
from tests.authorization.test_authorize_api import KRAV, single
from tests.demo.test_provider import API_SCOPE, wired_app
from tests.demo.test_provider import call as call_demo
from tests.maskinporten.helpers import bearer_for, bearer_for_system_user, exchanged, grant_setup

pytestmark = pytest.mark.django_db

API = "/authentication/api/v1/"
WRITE = "altinn:authentication/systemregister.write"
READ_REQUESTS = "altinn:authentication/systemuser.request.read"
WRITE_REQUESTS = "altinn:authentication/systemuser.request.write"
SKATT = "urn:altinn:accesspackage:skatt-naering"
LOOKUP = "altinn:maskinporten/systemuser.read"
AUTHORIZE = "altinn:authorization/authorize"


@pytest.fixture(params=["access token", "platform token"])
def as_token(request):
    """Turns an access token ('Bearer …') into the kind of token the test runs with."""
    return (lambda bearer: bearer) if request.param == "access token" else exchanged


def test_the_vendor_api_answers_the_vendor(client, as_token, vendor, system):
    response = client.get(API + "systemregister/vendor", HTTP_AUTHORIZATION=as_token(bearer_for(vendor, WRITE)))
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()] == [system.system_id]


def test_the_vendor_api_still_needs_the_scope(client, as_token, vendor, system):
    response = client.get(API + "systemregister/vendor", HTTP_AUTHORIZATION=as_token(bearer_for(vendor, READ_REQUESTS)))
    assert response.status_code == 403


def test_another_vendors_request_is_still_404(client, as_token, vendor, other_vendor, system, customer):
    body = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "accessPackages": [{"urn": SKATT}]}
    created = client.post(
        API + "systemuser/request/vendor",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=as_token(bearer_for(vendor, WRITE_REQUESTS)),
    )
    assert created.status_code == 201, created.content
    url = API + f"systemuser/request/vendor/{created.json()['id']}"
    assert client.get(url, HTTP_AUTHORIZATION=as_token(bearer_for(other_vendor, READ_REQUESTS))).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION=as_token(bearer_for(vendor, READ_REQUESTS))).status_code == 200


def test_the_system_user_lookup_takes_either(client, as_token, vendor, customer, system):
    setup = grant_setup(vendor, customer, system)
    params = {
        "clientId": setup.client.client_id,
        "systemProviderOrgNo": vendor.orgno,
        "systemUserOwnerOrgNo": customer.orgno,
    }
    bearer = as_token(bearer_for(f.make_org("Digitaliseringsdirektoratet"), LOOKUP))
    response = client.get(API + "systemuser/byExternalId", params, HTTP_AUTHORIZATION=bearer)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(setup.system_user.pk)


def test_the_pdp_takes_either_from_its_caller(client, as_token, customer, system):
    system_user = make_system_user(customer, system, packages=["skatt-naering"])
    bearer = as_token(bearer_for(f.make_org("Skatteetaten"), AUTHORIZE))
    body = json.dumps(single(system_user.pk, "read", KRAV, customer.orgno))
    response = client.post(
        "/authorization/api/v1/authorize", body, content_type="application/json", HTTP_AUTHORIZATION=bearer
    )
    assert response.status_code == 200, response.content
    assert response.json()["Response"][0]["Decision"] == "Permit"


def test_the_pdp_still_needs_the_authorize_scope(client, as_token, customer, system):
    system_user = make_system_user(customer, system, packages=["skatt-naering"])
    bearer = as_token(bearer_for(f.make_org("Skatteetaten"), API_SCOPE))
    body = json.dumps(single(system_user.pk, "read", KRAV, customer.orgno))
    response = client.post(
        "/authorization/api/v1/authorize", body, content_type="application/json", HTTP_AUTHORIZATION=bearer
    )
    assert response.status_code == 403


@pytest.fixture
def demo_api(client, db):
    return wired_app(client)


@pytest.fixture
def system_user(customer, system):
    return make_system_user(customer, system, packages=["skatt-naering"])


def test_the_demo_api_takes_either(demo_api, as_token, system_user, customer):
    token = as_token(bearer_for_system_user(system_user, API_SCOPE))
    status, body = call_demo(demo_api, f"/krav-og-betalinger/{customer.orgno}", token=token)
    assert status == 200, body
    assert body["systembruker"] == str(system_user.pk)


def test_the_demo_api_still_refuses_another_organisation(demo_api, as_token, system_user):
    token = as_token(bearer_for_system_user(system_user, API_SCOPE))
    status, body = call_demo(demo_api, f"/krav-og-betalinger/{f.make_org('Naboen AS').orgno}", token=token)
    assert (status, body["decision"]) == (403, "NotApplicable")


def test_a_platform_token_stops_working_when_the_system_user_is_deleted(demo_api, system_user, customer):
    token = exchanged(bearer_for_system_user(system_user, API_SCOPE))
    assert call_demo(demo_api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 200
    delete_system_user(system_user_id=system_user.pk, by=None, actor="test")
    status, body = call_demo(demo_api, f"/krav-og-betalinger/{customer.orgno}", token=token)
    assert (status, body["decision"]) == (403, "NotApplicable")


def test_a_platform_token_stops_working_when_the_package_is_revoked(demo_api, system_user, customer):
    token = exchanged(bearer_for_system_user(system_user, API_SCOPE))
    assert call_demo(demo_api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 200
    revoke_package(system_user_id=system_user.pk, package="skatt-naering", by=None, actor="test")
    assert not SystemUserPackage.objects.filter(system_user=system_user).exists()
    status, body = call_demo(demo_api, f"/krav-og-betalinger/{customer.orgno}", token=token)
    assert (status, body["decision"]) == (403, "NotApplicable")

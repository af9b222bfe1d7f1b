"""Altinn's system-user read examples, the Maskinporten system-user grant, and the PDP request."""

import json
import time
import uuid

import pytest
from django.conf import settings

from lib.tokens.access import verify_access_token
from registry.models import SystemUser
from tests import factories as f
from tests.api.conftest import WRITE, Api
from tests.authorization.conftest import make_system_user
from tests.conformance.conftest import assert_has_altinn_fields, example
from tests.maskinporten.helpers import DEMO_SCOPE, bearer_for, grant_setup, sign_grant

BASE = "http://testserver/authentication/api/v1/"
LOOKUP_SCOPE = "altinn:maskinporten/systemuser.read"


@pytest.fixture
def altinn():
    return example("systemusers")


def test_bysystem_pages_have_altinns_links_next_shape_and_fields(client, vendor, system, altinn):
    owners = [f.make_org(f"Klient {i}") for i in range(51)]
    SystemUser.objects.bulk_create(
        [SystemUser(integration_title="SmartCloud", owner=o, system=system, external_ref=o.orgno) for o in owners]
    )
    api = Api(client, bearer_for(vendor, WRITE))

    first = api.get(f"systemuser/vendor/bysystem/{system.system_id}")

    assert first.status_code == 200, first.content
    page = first.json()
    assert set(page) == {"links", "data"}
    assert len(page["data"]) == 50
    assert_has_altinn_fields(page["data"][0], altinn["bysystem_response"]["data"][0])
    assert page["data"][0]["userType"] == "standard"
    # Altinn: an absolute URL to the same path with an opaque `token` query parameter
    next_url = page["links"]["next"]
    assert next_url.startswith(f"{BASE}systemuser/vendor/bysystem/{system.system_id}?token=")

    last = client.get(next_url, HTTP_AUTHORIZATION=api.headers["HTTP_AUTHORIZATION"]).json()
    assert len(last["data"]) == 1
    assert last["links"] == {"next": None}


def test_byquery_answers_altinns_fields(api, vendor, system, customer, altinn):
    system_user = SystemUser.objects.create(
        integration_title="SmartCloud for Skatt", owner=customer, system=system, external_ref="0.abc123xyz"
    )

    response = api.get(
        "systemuser/vendor/byquery",
        **{"system-id": system.system_id, "orgno": customer.orgno, "external-ref": "0.abc123xyz"},
    )

    assert response.status_code == 200, response.content
    ours = response.json()
    assert_has_altinn_fields(ours, altinn["byquery_response"])
    assert ours["id"] == str(system_user.id)
    assert ours["supplierOrgno"] == vendor.orgno
    assert ours["supplierName"] == vendor.name
    assert ours["externalRef"] == "0.abc123xyz"


def test_byexternalid_answers_altinns_fields_except_its_internal_ids(client, vendor, system, customer, altinn):
    system_user = SystemUser.objects.create(
        integration_title="SmartCloud", owner=customer, system=system, external_ref=customer.orgno
    )
    documented = dict(altinn["byexternalid_response"])
    # Differences from Altinn (docs/vendor-api.md): Altinn's register ids are not part of CONTRACT §2.4
    del documented["systemInternalId"], documented["partyId"]
    auth = bearer_for(f.make_org("Maskinporten"), LOOKUP_SCOPE)
    query = {
        "clientId": "client-fakturering",
        "systemProviderOrgNo": vendor.orgno,
        "systemUserOwnerOrgNo": customer.orgno,
        "externalRef": customer.orgno,
    }

    response = client.get("/authentication/api/v1/systemuser/byExternalId", query, HTTP_AUTHORIZATION=auth)

    assert response.status_code == 200, response.content
    ours = response.json()
    assert_has_altinn_fields(ours, documented)
    assert ours["id"] == str(system_user.id)
    assert ours["reporteeOrgNo"] == customer.orgno


def test_altinns_lower_case_byexternalid_query_names_work_too(client, vendor, system, customer):
    """Altinn's reference spells the parameters `clientid=&systemproviderorgno=&systemuserownerorgno=`."""
    system_user = SystemUser.objects.create(
        integration_title="SmartCloud", owner=customer, system=system, external_ref=customer.orgno
    )
    auth = bearer_for(f.make_org("Maskinporten"), LOOKUP_SCOPE)
    query = {
        "clientid": "client-fakturering",
        "systemproviderorgno": vendor.orgno,
        "systemuserownerorgno": customer.orgno,
    }

    response = client.get("/authentication/api/v1/systemuser/byExternalId", query, HTTP_AUTHORIZATION=auth)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(system_user.id)


def test_altinns_system_user_grant_gets_a_token_with_altinns_fields_and_claims(client, vendor, customer, system):
    altinn = example("token")
    setup = grant_setup(vendor, customer, system)
    claims = dict(altinn["grant_claims"])
    client_id = setup.client.client_id
    now = int(time.time())
    claims |= {"aud": settings.TOKEN_ISSUER, "sub": client_id, "iss": client_id, "scope": DEMO_SCOPE}
    claims |= {"iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
    claims["authorization_details"] = json.loads(
        json.dumps(claims["authorization_details"]).replace("0192:123456789", f"0192:{customer.orgno}")
    )
    assertion = sign_grant(client_id, setup.kid, audience=claims.pop("aud"), **claims)

    response = setup.post(client, assertion)

    assert response.status_code == 200, response.content
    body = response.json()
    assert_has_altinn_fields(body, altinn["response"])
    assert body["token_type"] == "Bearer"
    assert body["scope"] == DEMO_SCOPE
    token = verify_access_token(body["access_token"])
    documented = json.loads(json.dumps(altinn["access_token_claims"]))
    # Differences from Altinn (docs/vendor-api.md): CONTRACT §1 spells systemuser_org's member `ID`, as
    # Maskinporten's grant and `consumer` do; Altinn's page shows `id` in the token.
    documented["authorization_details"][0]["systemuser_org"] = {"authority": "iso6523-actorid-upis", "ID": "0192:x"}
    assert_has_altinn_fields(token, documented)
    (details,) = token["authorization_details"]
    assert details["systemuser_id"] == [str(setup.system_user.id)]
    assert details["system_id"] == system.system_id
    assert details["systemuser_org"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{customer.orgno}"}
    assert token["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"}
    assert token["client_id"] == client_id


def test_altinns_pdp_request_is_answered_with_a_response_list(client, customer, system):
    altinn = example("pdp")
    system_user = make_system_user(customer, system, packages=["skatt-naering"])
    body = json.loads(
        json.dumps(altinn["request"])
        .replace("a545ca29-7fb8-4810-a2f2-0be171cb2a26", str(system_user.id))
        .replace('"kravogbetaling"', '"ske-krav-og-betalinger"')
        .replace("923609016", customer.orgno)
    )
    assert body["Request"]["ReturnPolicyIdList"] is True  # Altinn's example sends it, and DataType
    auth = bearer_for(f.make_org("Skatteetaten"), "altinn:authorization/authorize")

    response = client.post(
        "/authorization/api/v1/authorize", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )

    assert response.status_code == 200, response.content
    (decision,) = response.json()["Response"]
    documented = dict(altinn["response"]["Response"][0])
    # Differences from Altinn (docs/vendor-api.md): no Obligations (no authentication-level obligations here)
    del documented["Obligations"]
    assert_has_altinn_fields(decision, documented)
    assert decision["Decision"] == "Permit"
    assert decision["Status"] == {"StatusCode": {"Value": "urn:oasis:names:tc:xacml:1.0:status:ok"}}

import jwt
import pytest
from django.utils import timezone

from lib.tokens import keys
from lib.tokens.access import verify_access_token
from registry.models import AuditEvent
from tests.maskinporten.helpers import DEMO_SCOPE, grant_setup


@pytest.fixture
def setup(vendor, customer, system):
    return grant_setup(vendor, customer, system)


def test_a_system_user_grant_gets_a_system_user_token(client, setup, vendor, customer, system):
    response = setup.post(client, setup.grant())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 120
    assert body["scope"] == DEMO_SCOPE
    claims = verify_access_token(body["access_token"])
    assert claims["authorization_details"] == [
        {
            "type": "urn:altinn:systemuser",
            "systemuser_id": [str(setup.system_user.id)],
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{customer.orgno}"},
            "system_id": system.system_id,
        }
    ]
    assert body["authorization_details"] == claims["authorization_details"]
    assert claims["consumer"]["ID"] == f"0192:{vendor.orgno}"
    assert claims["client_amr"] == "private_key_jwt"
    assert claims["client_id"] == setup.client.client_id
    assert response["Cache-Control"] == "no-store"


def test_the_access_token_is_an_rs256_jws_with_our_kid(client, setup):
    token = setup.post(client, setup.grant()).json()["access_token"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": keys.current_key().kid, "typ": "at+jwt"}


def test_a_grant_without_authorization_details_gets_a_plain_token(client, setup):
    response = setup.post(client, setup.grant(details=False))
    assert response.status_code == 200
    assert "authorization_details" not in verify_access_token(response.json()["access_token"])


def test_an_issued_token_leaves_an_audit_event(client, setup, customer):
    setup.post(client, setup.grant())
    event = AuditEvent.objects.get(action="token.issued")
    assert event.outcome == "ok"
    assert event.party_orgno == customer.orgno
    assert event.object_id == str(setup.system_user.id)
    assert event.data["client_id"] == setup.client.client_id
    assert event.data["consumer"] == setup.client.owner.orgno
    assert event.actor == f"client:{setup.client.client_id}"
    assert event.ip == "127.0.0.1"
    assert (timezone.now() - event.at).total_seconds() < 60


def test_metadata_names_the_endpoints(client, db, settings):
    body = client.get("/.well-known/oauth-authorization-server").json()
    assert body["issuer"] == settings.TOKEN_ISSUER
    assert body["token_endpoint"] == settings.PORTAL_BASE_URL + "/token"
    assert body["jwks_uri"] == settings.PORTAL_BASE_URL + "/jwk"
    assert body["grant_types_supported"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert body["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert body["authorization_details_types_supported"] == ["urn:altinn:systemuser"]


def test_the_jwks_verifies_issued_tokens(client, setup):
    token = setup.post(client, setup.grant()).json()["access_token"]
    jwks = jwt.PyJWKSet.from_dict(client.get("/jwk").json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["client_id"] == setup.client.client_id

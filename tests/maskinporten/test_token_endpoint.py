import jwt
from django.utils import timezone

from lib.tokens import keys
from lib.tokens.access import verify_access_token
from maskinporten import assertion
from registry.models import AuditEvent, RefusalReason, SystemUserUsage, TokenRefusal
from tests.maskinporten.helpers import DEMO_SCOPE, systemuser_details


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


def test_an_issued_token_is_counted_as_the_system_users_use_not_audited(client, setup, customer, caplog):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        setup.post(client, setup.grant(jti="grant-1"))
        setup.post(client, setup.grant(jti="grant-2"))
    row = SystemUserUsage.objects.get()
    assert (row.system_user_id, row.issued, row.last_client_id) == (setup.system_user.id, 2, setup.client.client_id)
    assert (timezone.now() - row.last_at).total_seconds() < 60
    assert not AuditEvent.objects.filter(action__startswith="token.").exists()
    # The per-token trail is the log: client, system user, jti, address.
    facts = [r.token for r in caplog.records if r.getMessage().startswith("token issued")]
    assert [f["jti"] for f in facts] == ["grant-1", "grant-2"]
    assert facts[0]["system_user"] == str(setup.system_user.id)
    assert facts[0]["party"] == customer.orgno
    assert facts[0]["ip"] == "127.0.0.1"
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("token issued")][0] == (
        f"token issued: client {setup.client.client_id}, system user {setup.system_user.id}, jti grant-1"
    )
    assert SystemUserUsage.objects.get().kid == setup.kid  # which of the client's keys signed the grants


def test_the_log_names_every_scope_granted_and_no_system_user_for_a_plain_token(client, setup, caplog):
    scope = f"{DEMO_SCOPE} altinn:demo/other"
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        assert setup.post(client, setup.grant(details=False, jti="plain", scope=scope)).status_code == 200
    [record] = [r for r in caplog.records if r.getMessage().startswith("token issued")]
    assert record.getMessage() == f"token issued: client {setup.client.client_id}, system user -, jti plain"
    assert record.token["scope"] == scope


def test_a_request_refused_before_the_grant_is_logged_with_its_address(client, db, caplog):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = client.post("/token", "{}", content_type="application/json", REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    [facts] = [r.token for r in caplog.records if r.getMessage().startswith("token refused")]
    assert facts["ip"] == "203.0.113.5"


def test_a_plain_token_counts_no_system_users_use(client, setup):
    assert setup.post(client, setup.grant(details=False)).status_code == 200
    assert not SystemUserUsage.objects.exists()


def test_a_known_clients_wrong_external_ref_is_recorded_for_the_business(client, setup, customer):
    details = systemuser_details(customer.orgno, externalRef="no-such-ref")
    for _ in range(3):
        assert setup.post(client, setup.grant(details=details)).status_code == 400
    refusal = TokenRefusal.objects.get()
    assert refusal.reason == RefusalReason.UNKNOWN_EXTERNAL_REF
    assert (refusal.detail, refusal.count, refusal.party_orgno) == ("no-such-ref", 3, customer.orgno)
    assert refusal.client_id == setup.client.client_id
    assert refusal.first_at <= refusal.last_at


def test_an_anonymous_refusal_writes_nothing_but_is_logged(client, setup, caplog):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = setup.post(client, "not.a.jwt")
    assert response.status_code == 400
    assert not TokenRefusal.objects.exists()
    assert not AuditEvent.objects.exists()
    assert any(r.getMessage().startswith("token refused: invalid_grant") for r in caplog.records)


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


def test_a_grant_is_parsed_once_per_request(client, setup, monkeypatch):
    # The rate limit reads the claimed issuer and the grant the rest: one parse (header and claims).
    parsed = []
    monkeypatch.setattr(
        assertion, "strict_json", lambda data, parse=assertion.strict_json: parsed.append(data) or parse(data)
    )
    assert setup.post(client, setup.grant()).status_code == 200
    assert len(parsed) == 2

"""GET /authentication/api/v1/exchange/maskinporten and GET /authentication/api/v1/refresh: a Maskinporten
token for a platform token as Altinn makes it, signed with a key of its own and published with OpenID
metadata; every wrong token refused with a 401 and no token."""

import logging
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from lib.tokens import keys
from lib.tokens.access import ACCESS_TOKEN_TYP
from lib.tokens.person import sign_person_token
from maskinporten.models import Client
from registry.models import AuditEvent, SystemUser
from registry.services.lifecycle import delete_system_user
from tests.maskinporten.helpers import (
    DEMO_SCOPE,
    bearer_for,
    bearer_for_system_user,
    maskinporten_token,
    sign_grant,
)

pytestmark = pytest.mark.django_db

EXCHANGE = "/authentication/api/v1/exchange/maskinporten"
REFRESH = "/authentication/api/v1/refresh"
OPENID = "/authentication/api/v1/openid/.well-known/openid-configuration"
ALTINN_CLAIMS = {
    "urn:altinn:orgNumber",
    "urn:altinn:authenticatemethod",
    "urn:altinn:authlevel",
}


@pytest.fixture
def system_user_token(setup) -> str:
    return bearer_for_system_user(setup.system_user, DEMO_SCOPE, client_id=setup.client.client_id)


def get(client, url: str, token: str | None):
    headers = {"HTTP_AUTHORIZATION": token if token.startswith("Bearer ") else f"Bearer {token}"} if token else {}
    return client.get(url, **headers)


def platform_keys(client) -> dict:
    """The platform issuer's keys, found as a validator finds them: metadata first, then its jwks_uri."""
    metadata = client.get(OPENID).json()
    return {k["kid"]: jwt.PyJWK(k).key for k in client.get(metadata["jwks_uri"]).json()["keys"]}


def validate(client, token: str) -> dict:
    """Validate a platform token as a resource owner would, against the published metadata."""
    kid = jwt.get_unverified_header(token)["kid"]
    issuer = client.get(OPENID).json()["issuer"]
    return jwt.decode(token, platform_keys(client)[kid], algorithms=["RS256"], issuer=issuer)


def claims_of(bearer: str) -> dict:
    return jwt.decode(bearer.removeprefix("Bearer "), options={"verify_signature": False})


def refused(response, *, detail: str = "") -> str:
    """401 problem+json with a Bearer challenge, no token in the body, and nothing audited."""
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "HTTP-401" and body["status"] == 401 and "traceId" in body
    assert detail.lower() in body["detail"].lower(), body["detail"]
    assert not AuditEvent.objects.filter(action__in=["token.exchanged", "token.refreshed"]).exists()
    return body["detail"]


# --- a good exchange ----------------------------------------------------------------------------------


def test_a_system_user_token_gives_a_platform_token_as_plain_text(client, system_user_token, setup, vendor):
    response = get(client, EXCHANGE, system_user_token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    source, claims = claims_of(system_user_token), validate(client, response.content.decode())
    assert claims["iss"] == settings.PLATFORM_TOKEN_ISSUER
    assert claims["urn:altinn:orgNumber"] == vendor.orgno
    assert claims["urn:altinn:authenticatemethod"] == "maskinporten"
    assert claims["urn:altinn:authlevel"] == 3
    for carried in ("scope", "client_id", "consumer", "token_type", "authorization_details"):
        assert claims[carried] == source[carried], carried
    assert claims["authorization_details"][0]["systemuser_id"] == [str(setup.system_user.pk)]
    assert "client_amr" not in claims and "aud" not in claims  # as Altinn: not carried over
    assert claims["jti"] != source["jti"] and uuid.UUID(claims["sid"])
    assert claims["iat"] <= claims["nbf"] <= claims["exp"] <= source["exp"]


def test_a_plain_access_token_gives_a_platform_token_without_a_system_user(client, vendor):
    token = get(client, EXCHANGE, bearer_for(vendor, "altinn:authentication/systemregister.write")).content.decode()
    claims = validate(client, token)
    assert claims["scope"] == "altinn:authentication/systemregister.write"
    assert "authorization_details" not in claims
    assert AuditEvent.objects.get(action="token.exchanged").object_type == "client"


def test_the_platform_key_is_not_the_token_endpoints(client, system_user_token):
    token = get(client, EXCHANGE, system_user_token).content.decode()
    kid = jwt.get_unverified_header(token)["kid"]
    token_kids = {k["kid"] for k in client.get("/jwk").json()["keys"]}
    assert kid in platform_keys(client)
    assert kid not in token_kids
    assert not token_kids & set(platform_keys(client))


def test_the_openid_metadata_names_the_issuer_and_its_keys_at_altinns_path(client, db):
    metadata = client.get(OPENID).json()
    assert metadata["issuer"] == settings.PLATFORM_TOKEN_ISSUER
    assert metadata["issuer"].endswith("/authentication/api/v1/openid/")  # Altinn's form
    assert metadata["jwks_uri"] == f"{settings.PORTAL_BASE_URL}{OPENID}/jwks"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert [k["kid"] for k in client.get(OPENID + "/jwks").json()["keys"]] == [keys.PLATFORM.current_key().kid]


def test_it_lives_no_longer_than_the_token_it_came_from(client, setup, settings):
    settings.TOKEN_LIFETIME_SECONDS = 60
    settings.PLATFORM_TOKEN_LIFETIME_SECONDS = 3600
    source = bearer_for_system_user(setup.system_user, DEMO_SCOPE, client_id=setup.client.client_id)
    claims = claims_of(get(client, EXCHANGE, source).content.decode())
    assert claims["exp"] == claims_of(source)["exp"]


def test_it_lives_no_longer_than_configured(client, system_user_token, settings):
    settings.PLATFORM_TOKEN_LIFETIME_SECONDS = 30
    claims = claims_of(get(client, EXCHANGE, system_user_token).content.decode())
    assert claims["exp"] - claims["iat"] == 30


def test_each_exchange_is_audited_with_the_system_user_and_its_owner(client, system_user_token, setup, customer):
    token = get(client, EXCHANGE, system_user_token).content.decode()
    event = AuditEvent.objects.get(action="token.exchanged")
    assert event.actor == f"client:{setup.client.client_id}"
    assert (event.object_type, event.object_id) == ("systemuser", str(setup.system_user.pk))
    assert event.party_orgno == customer.orgno
    assert event.data["jti"] == claims_of(token)["jti"]
    assert event.data["source_jti"] == claims_of(system_user_token)["jti"]


def test_the_path_and_the_test_parameter_are_as_altinns(client, system_user_token):
    assert get(client, "/authentication/api/v1/exchange/Maskinporten?test=true", system_user_token).status_code == 200


def test_a_token_of_the_external_maskinporten_is_exchanged_with_its_other_claims(client, external_maskinporten, vendor):
    source = maskinporten_token(external_maskinporten, vendor.orgno, client_orgno=vendor.orgno)
    response = get(client, EXCHANGE, source)
    assert response.status_code == 200, response.content
    claims = validate(client, response.content.decode())
    assert (claims["client_id"], claims["client_orgno"]) == ("mp-client", vendor.orgno)
    assert claims["iss"] == settings.PLATFORM_TOKEN_ISSUER


def test_altinn_claims_in_the_source_token_are_replaced_by_ours(client, external_maskinporten, vendor):
    source = maskinporten_token(
        external_maskinporten, vendor.orgno, **{"urn:altinn:authlevel": 4, "urn:altinn:org": "skd"}
    )
    claims = claims_of(get(client, EXCHANGE, source).content.decode())
    assert claims["urn:altinn:authlevel"] == 3
    assert "urn:altinn:org" not in claims


# --- refused: each with a 401 and no token ------------------------------------------------------------


def own_token(**overrides) -> str:
    """A token signed with our token key, as /token signs them, with claims changed (None removes)."""
    now = int(time.time())
    claims = {
        "iss": settings.TOKEN_ISSUER,
        "client_amr": "private_key_jwt",
        "token_type": "Bearer",
        "client_id": "some-client",
        "scope": DEMO_SCOPE,
        "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:910000009"},
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
        **overrides,
    }
    key = keys.current_key()
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYP})


def test_no_token_is_refused(client, db):
    refused(get(client, EXCHANGE, None), detail="Authorization: Bearer")


@pytest.mark.parametrize("token", ["x", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA", "x" * 20000, "é.é.é"])
def test_garbage_is_refused_never_a_500(client, db, token):
    refused(get(client, EXCHANGE, token))


def test_an_expired_token_is_refused(client, db):
    refused(get(client, EXCHANGE, own_token(iat=int(time.time()) - 300, exp=int(time.time()) - 1)), detail="expired")


def test_a_token_from_another_issuer_is_refused(client, db):
    refused(get(client, EXCHANGE, own_token(iss="https://evil.example/")), detail="issuer")


def test_a_token_for_another_audience_is_refused(client, db):
    refused(get(client, EXCHANGE, own_token(aud="https://other-api.example/")), detail="audience")


def test_a_token_for_our_audience_is_exchanged(client, vendor):
    client_id = Client.objects.create(client_id="aud-client", owner=vendor, scopes=[DEMO_SCOPE]).client_id
    consumer = {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"}
    token = own_token(aud=settings.PORTAL_BASE_URL + "/", client_id=client_id, consumer=consumer)
    assert get(client, EXCHANGE, token).status_code == 200


def test_a_bad_signature_is_refused(client, db):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header, payload, _ = own_token().split(".")
    _, _, forged_signature = jwt.encode({"x": 1}, forger, algorithm="RS256").split(".")
    refused(get(client, EXCHANGE, f"{header}.{payload}.{forged_signature}"), detail="signature")


def test_a_person_token_is_refused_it_is_for_exchange_id_porten(client, db):
    person_token, _ = sign_person_token(pid="01889110062", scopes=[], not_after=int(time.time()) + 60)
    refused(get(client, EXCHANGE, person_token), detail="exchange/id-porten")


def test_a_token_for_a_person_is_refused(client, external_maskinporten, vendor):
    refused(get(client, EXCHANGE, maskinporten_token(external_maskinporten, vendor.orgno, pid="01889110062")))


def test_a_platform_token_is_not_exchanged_again(client, system_user_token):
    platform_token = get(client, EXCHANGE, system_user_token).content.decode()
    AuditEvent.objects.all().delete()
    assert refused(get(client, EXCHANGE, platform_token)) == (
        "This is a platform token already: GET /authentication/api/v1/refresh renews it"
    )


def test_a_grant_is_refused(client, setup):
    grant = sign_grant(setup.client.client_id, setup.kid, audience=settings.TOKEN_ISSUER, scope=DEMO_SCOPE)
    refused(get(client, EXCHANGE, grant), detail="signing key")


def test_a_token_of_a_deleted_system_user_is_refused(client, system_user_token, setup):
    delete_system_user(system_user_id=setup.system_user.pk, by=None, actor="test")
    refused(get(client, EXCHANGE, system_user_token), detail="deleted")


def test_a_token_of_a_deactivated_client_is_refused(client, system_user_token, setup):
    Client.objects.filter(pk=setup.client.pk).update(is_active=False)
    refused(get(client, EXCHANGE, system_user_token), detail="no longer active")


def test_refusals_are_logged_not_audited(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="maskinporten.exchange_views"):
        refused(get(client, EXCHANGE, own_token(iss="https://evil.example/")))
    assert "Token exchange (maskinporten) refused: Token is from another issuer" in caplog.text
    assert not AuditEvent.objects.exists()


def test_asking_for_an_enterprise_user_is_410_gone_as_at_altinn(client, system_user_token):
    response = client.get(
        EXCHANGE, HTTP_AUTHORIZATION=system_user_token, HTTP_X_ALTINN_ENTERPRISEUSER_AUTHENTICATION="dXNlcjpwdw=="
    )
    assert response.status_code == 410 and response.json()["code"] == "HTTP-410"
    assert "Systembruker" in response.json()["detail"]
    assert not AuditEvent.objects.exists()


def test_another_method_is_a_405_problem(client, system_user_token):
    response = client.post(EXCHANGE, HTTP_AUTHORIZATION=system_user_token)
    assert response.status_code == 405 and response.json()["code"] == "HTTP-405"


def test_the_platform_key_never_passes_as_a_grant_key(client, setup):
    """Even a client that registered the (public) platform key cannot make a platform token its grant."""
    from maskinporten.models import ClientKey

    platform = keys.PLATFORM.current_key()
    ClientKey.objects.create(client=setup.client, kid=platform.kid, public_jwk=platform.public_jwk)
    platform_token = get(client, EXCHANGE, bearer_for(setup.client.owner, DEMO_SCOPE)).content.decode()
    response = setup.post(client, platform_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


# --- refresh ------------------------------------------------------------------------------------------


@pytest.fixture
def platform_token(client, system_user_token) -> str:
    token = get(client, EXCHANGE, system_user_token).content.decode()
    AuditEvent.objects.all().delete()
    return token


def test_refresh_gives_a_new_platform_token_with_the_same_claims(client, platform_token, setup):
    response = get(client, REFRESH, platform_token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    old, new = claims_of(platform_token), validate(client, response.content.decode())
    kept = set(old) - {"jti", "sid", "iat", "nbf", "exp"}
    assert {name: new[name] for name in kept} == {name: old[name] for name in kept}
    assert new["jti"] != old["jti"] and new["sid"] != old["sid"]
    assert new["exp"] - new["iat"] == old["exp"] - old["iat"]  # no longer than the token it came from
    event = AuditEvent.objects.get(action="token.refreshed")
    assert (event.object_id, event.data["previous_jti"]) == (str(setup.system_user.pk), old["jti"])


def test_refresh_takes_only_a_platform_token(client, system_user_token):
    assert refused(get(client, REFRESH, system_user_token)) == (
        "Not a platform token: GET /authentication/api/v1/exchange/maskinporten gives one"
    )


def test_a_platform_token_is_accepted_where_access_tokens_are(client, platform_token, setup):
    """The vendor and end-user APIs take either (lib.tokens.access.verify_access_token)."""
    from lib.tokens.access import verify_access_token

    assert verify_access_token(platform_token) == claims_of(platform_token)


def test_a_token_signed_with_the_platform_key_for_another_issuer_is_refused(client, platform_token):
    forged = claims_of(platform_token) | {"iss": "https://evil.example/"}
    key = keys.PLATFORM.current_key()
    token = jwt.encode(forged, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert refused(get(client, REFRESH, token)) == "Token is from another issuer"


def test_refresh_refuses_once_the_system_user_is_deleted(client, platform_token, setup):
    SystemUser.objects.filter(pk=setup.system_user.pk).update(is_deleted=True)
    refused(get(client, REFRESH, platform_token), detail="deleted")


def test_refresh_refuses_once_the_system_no_longer_lists_the_client(client, platform_token, setup):
    setup.system_user.system.clients.all().delete()
    refused(get(client, REFRESH, platform_token), detail="no longer lists")


def test_refresh_refuses_an_expired_platform_token(client, platform_token, settings):
    key = keys.PLATFORM.current_key()
    claims = {**claims_of(platform_token), "exp": int(time.time()) - 1}
    expired = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})
    refused(get(client, REFRESH, expired), detail="expired")


def test_refresh_refuses_a_token_signed_with_the_token_key_that_claims_to_be_a_platform_token(client, platform_token):
    key = keys.current_key()
    forged = jwt.encode(claims_of(platform_token), key.private_key, algorithm="RS256", headers={"kid": key.kid})
    refused(get(client, REFRESH, forged), detail="not a platform token")
    refused(get(client, REFRESH, None))


def test_a_client_unknown_here_is_refused_without_an_external_issuer(client, vendor, settings):
    settings.EXTERNAL_MASKINPORTEN_ISSUER = ""
    consumer = {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"}
    refused(get(client, EXCHANGE, own_token(client_id="nobody", consumer=consumer)), detail="not known")

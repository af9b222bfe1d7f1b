"""GET /authentication/api/v1/exchange/id-porten against a stub ID-porten (discovery + JWKS on loopback)
that signs whatever access token the test builds: every way a token can be wrong is refused, and the
person token that comes out is good for the end-user API only."""

import base64
import hashlib
import hmac
import json
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import jwt as pyjwt
import pytest
from django.conf import settings
from joserfc import jwt
from joserfc.jwk import RSAKey

from lib.tokens.access import InvalidToken, verify_access_token
from lib.tokens.person import PERSON_TOKEN_TYP, verify_person_token
from maskinporten import exchange
from registry.models import AuditEvent
from tests import factories as f
from tests.maskinporten.helpers import GRANT_TYPE, bearer_for, bearer_for_system_user, grant_setup
from tests.oidc_provider.fixtures import free_port

pytestmark = pytest.mark.django_db

URL = "/authentication/api/v1/exchange/id-porten"
READ = "altinn:clientdelegations.read"
WRITE = "altinn:clientdelegations.write"
KARI = "01889110062"


@pytest.fixture(autouse=True)
def key_refresh_allowed(monkeypatch):
    monkeypatch.setattr(exchange, "_last_key_refresh", 0.0)


def idporten_token(stub, *, header: dict | None = None, key=None, **overrides) -> str:
    """An ID-porten-style access token signed by the stub's key; overrides change or (None) remove claims."""
    now = int(time.time())
    claims = {
        "iss": stub.issuer,
        "sub": "pseudonym",
        "aud": "https://platform.systembruker.test/",
        "client_id": "vendor-program",
        "pid": KARI,
        "acr": "idporten-loa-substantial",
        "scope": f"openid {READ} {WRITE}",
        "iat": now,
        "exp": now + 120,
        "jti": "idporten-jti-1",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    header = header or {"alg": "RS256", "kid": "stub-key", "typ": "at+jwt"}
    return jwt.encode(header, claims, key or stub.key, algorithms=[header["alg"]])


def exchange_with(client, token: str | None, provider: str = "id-porten"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get(f"/authentication/api/v1/exchange/{provider}", **headers)


def refused(response, status: int = 401) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == f"HTTP-{status}" and {"type", "title", "detail", "traceId"} <= set(body)
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AuditEvent.objects.filter(action="person.token_exchanged").exists()
    return body["detail"]


# --- a good exchange ----------------------------------------------------------------------------------


def test_a_valid_access_token_gives_a_person_token_as_plain_text(client, stub_provider):
    f.make_person("Kari Nordmann", pid=KARI)
    before = int(time.time())
    response = exchange_with(client, idporten_token(stub_provider))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8" and response["Cache-Control"] == "no-store"
    token = response.content.decode()
    assert pyjwt.get_unverified_header(token)["typ"] == PERSON_TOKEN_TYP
    claims = verify_person_token(token)
    assert claims["pid"] == KARI and claims["scope"] == f"{READ} {WRITE}"
    assert claims["iss"] == settings.TOKEN_ISSUER and claims["acr"] == "idporten-loa-substantial"
    assert before + 120 >= claims["exp"] > before  # never longer than the ID-porten token
    assert not {"client_id", "consumer", "authorization_details", "sub"} & set(claims)


def test_each_exchange_is_audited_with_the_vendors_id_porten_client(client, stub_provider):
    kari = f.make_person("Kari Nordmann", pid=KARI)
    token = exchange_with(client, idporten_token(stub_provider, scope=READ)).content.decode()
    event = AuditEvent.objects.get(action="person.token_exchanged")
    assert event.actor == f"person:{KARI}" and event.actor_person == kari
    assert event.data["idporten_client_id"] == "vendor-program" and event.data["scope"] == READ
    assert event.data["jti"] == verify_person_token(token)["jti"] and event.data["idporten_jti"] == "idporten-jti-1"


def test_only_the_client_delegation_scopes_are_carried_over(client, stub_provider):
    token = idporten_token(stub_provider, scope=f"openid profile altinn:instances.read {READ}")
    assert verify_person_token(exchange_with(client, token).content.decode())["scope"] == READ


def test_the_person_token_lives_no_longer_than_configured(client, stub_provider, settings):
    settings.PERSON_TOKEN_LIFETIME_SECONDS = 30
    claims = verify_person_token(
        exchange_with(client, idporten_token(stub_provider, exp=int(time.time()) + 3600)).content.decode()
    )
    assert claims["exp"] - claims["iat"] <= 30


def test_a_rotated_provider_key_is_fetched_once_and_accepted(client, stub_provider):
    new_key = RSAKey.generate_key(2048, parameters={"kid": "rotated", "alg": "RS256", "use": "sig"})
    exchange_with(client, idporten_token(stub_provider))  # the old keys are now cached
    stub_provider.key = new_key  # the provider publishes the new key from now on
    response = exchange_with(client, idporten_token(stub_provider, header={"alg": "RS256", "kid": "rotated"}))
    assert response.status_code == 200, response.content


def test_unknown_keys_refetch_the_providers_keys_at_most_once_a_minute(client, stub_provider, monkeypatch):
    calls = []
    real = exchange.idporten.provider_keys
    monkeypatch.setattr(
        exchange.idporten, "provider_keys", lambda *, refresh: calls.append(refresh) or real(refresh=refresh)
    )
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
    for _ in range(5):
        token = idporten_token(stub_provider, header={"alg": "RS256", "kid": "stranger"}, key=stranger)
        assert "not signed by a key" in refused(exchange_with(client, token))
    assert calls.count(True) == 1


def test_a_minute_after_a_refetch_an_unknown_key_is_looked_up_again(client, stub_provider, monkeypatch):
    clock = [1000.0]  # the exchange's monotonic clock, moved on by hand
    monkeypatch.setattr(exchange, "time", SimpleNamespace(time=time.time, monotonic=lambda: clock[0]))
    fetches = []
    real = exchange.idporten.provider_keys
    monkeypatch.setattr(
        exchange.idporten, "provider_keys", lambda *, refresh: fetches.append(refresh) or real(refresh=refresh)
    )
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
    token = idporten_token(stub_provider, header={"alg": "RS256", "kid": "stranger"}, key=stranger)
    assert "not signed by a key" in refused(exchange_with(client, token))
    assert fetches.count(True) == 1  # fetched again: the key might have been new
    stub_provider.key = RSAKey.generate_key(2048, parameters={"kid": "rotated", "alg": "RS256", "use": "sig"})
    rotated = idporten_token(stub_provider, header={"alg": "RS256", "kid": "rotated"})
    clock[0] += exchange.KEY_REFRESH_INTERVAL_SECONDS - 1
    assert "not signed by a key" in refused(exchange_with(client, rotated))  # within the minute: not fetched
    assert fetches.count(True) == 1
    clock[0] += 2
    response = exchange_with(client, rotated)  # a minute after the last fetch: fetched, and accepted
    assert response.status_code == 200, response.content
    assert fetches.count(True) == 2


# --- refused tokens -----------------------------------------------------------------------------------


def test_no_token_is_401(client, stub_provider):
    assert "Bearer" in refused(exchange_with(client, None))


def test_an_expired_token_is_401(client, stub_provider):
    now = int(time.time())
    assert "expired" in refused(exchange_with(client, idporten_token(stub_provider, iat=now - 300, exp=now - 1)))


def test_a_token_without_exp_is_401(client, stub_provider):
    assert "expired" in refused(exchange_with(client, idporten_token(stub_provider, exp=None)))


@pytest.mark.parametrize("exp", [float("inf"), float("nan"), True, "9999999999", [1]])
def test_an_exp_that_is_no_finite_time_is_401_not_500(client, stub_provider, exp):
    refused(exchange_with(client, idporten_token(stub_provider, exp=exp)))


def test_a_token_not_valid_yet_or_issued_in_the_future_is_401(client, stub_provider):
    later = int(time.time()) + 600
    refused(exchange_with(client, idporten_token(stub_provider, nbf=later, exp=later + 60)))
    refused(exchange_with(client, idporten_token(stub_provider, iat=later, exp=later + 60)))


def test_a_token_from_another_issuer_is_401(client, stub_provider):
    assert "issuer" in refused(exchange_with(client, idporten_token(stub_provider, iss="https://evil.example")))


def test_an_hmac_token_is_401_even_keyed_with_the_providers_public_key(client, stub_provider):
    # The classic confusion attack: HS256 "signed" with the public key that anyone can fetch.
    header, payload, _ = idporten_token(stub_provider).split(".")
    header = b64(json.dumps({"alg": "HS256", "kid": "stub-key"}).encode())
    secret = stub_provider.key.as_pem(private=False)
    signature = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    assert "algorithm" in refused(exchange_with(client, f"{header}.{payload}.{signature}"))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_an_unsigned_token_is_401(client, stub_provider):
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": stub_provider.issuer, "pid": KARI, "scope": READ, "exp": now + 60, "acr": "idporten-loa-high"}
    for alg in ("none", "None", "NONE"):
        assert "algorithm" in refused(exchange_with(client, f"{part({'alg': alg, 'kid': 'stub-key'})}.{part(claims)}."))


def test_a_token_signed_with_an_unknown_key_is_401(client, stub_provider):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stub-key"})  # even with a known kid
    assert "signature" in refused(exchange_with(client, idporten_token(stub_provider, key=stranger)))
    other = RSAKey.generate_key(2048, parameters={"kid": "other"})
    token = idporten_token(stub_provider, header={"alg": "RS256", "kid": "other"}, key=other)
    assert "not signed by a key" in refused(exchange_with(client, token))


def test_a_token_without_kid_is_401(client, stub_provider):
    assert "kid" in refused(exchange_with(client, idporten_token(stub_provider, header={"alg": "RS256"})))


def test_a_tampered_token_is_401(client, stub_provider):
    header, payload, signature = idporten_token(stub_provider).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["pid"] = "15898810078"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert "signature" in refused(exchange_with(client, f"{header}.{forged}.{signature}"))


@pytest.mark.parametrize("pid", [None, "", "01889110063", "0188911006", "abc", 1889110062, ["01889110062"]])
def test_a_missing_or_invalid_pid_is_401(client, stub_provider, pid):
    assert "pid" in refused(exchange_with(client, idporten_token(stub_provider, pid=pid)))


@pytest.mark.parametrize(
    "scope", [None, "", "openid profile", "altinn:clientdelegations", ["altinn:clientdelegations.read"]]
)
def test_a_token_without_a_client_delegation_scope_is_403(client, stub_provider, scope):
    assert "scope" in refused(exchange_with(client, idporten_token(stub_provider, scope=scope)), 403)


@pytest.mark.parametrize("acr", [None, "idporten-loa-low", "Level4", 4])
def test_a_login_below_the_portals_level_of_assurance_is_401(client, stub_provider, acr):
    assert "acr" in refused(exchange_with(client, idporten_token(stub_provider, acr=acr)))


def test_the_audience_is_checked_when_configured(client, stub_provider, settings):
    settings.IDPORTEN_EXCHANGE_AUDIENCE = "https://platform.systembruker.test/"
    assert exchange_with(client, idporten_token(stub_provider)).status_code == 200
    aud_list = ["https://other.example/", "https://platform.systembruker.test/"]
    assert exchange_with(client, idporten_token(stub_provider, aud=aud_list)).status_code == 200
    AuditEvent.objects.all().delete()
    assert "audience" in refused(exchange_with(client, idporten_token(stub_provider, aud="https://other.example/")))
    assert "audience" in refused(exchange_with(client, idporten_token(stub_provider, aud=None)))


def test_our_own_tokens_cannot_be_exchanged(client, stub_provider, vendor, customer, system):
    setup = grant_setup(vendor, customer, system)
    person_token = exchange_with(client, idporten_token(stub_provider)).content.decode()
    AuditEvent.objects.all().delete()
    for bearer in (bearer_for(vendor, READ, WRITE), bearer_for_system_user(setup.system_user, READ)):
        assert "not signed by a key" in refused(exchange_with(client, bearer.removeprefix("Bearer ")))
    assert "not signed by a key" in refused(exchange_with(client, person_token))


@pytest.mark.parametrize(
    "token", ["x", "a.b.c", "a.b", "....", "é.é.é", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA", "x" * 20000, "a.b.c.d.e"]
)
def test_garbage_is_401_never_a_500(client, stub_provider, token):
    refused(exchange_with(client, token))


def test_another_token_provider_is_400(client, stub_provider):
    for provider in ("altinnstudio", "google", "ID-PORTEN-X"):
        response = exchange_with(client, idporten_token(stub_provider), provider)
        assert response.status_code == 400 and response.json()["code"] == "HTTP-400"
    assert exchange_with(client, idporten_token(stub_provider), "ID-Porten").status_code == 200  # as Altinn


def test_only_get_is_allowed(client, stub_provider):
    response = client.post(URL, HTTP_AUTHORIZATION=f"Bearer {idporten_token(stub_provider)}")
    assert response.status_code == 405 and response.json()["code"] == "HTTP-405"


def test_without_id_porten_configured_nothing_is_exchanged(client, settings, db):
    settings.OIDC_ENABLED = False
    assert "configured" in refused(exchange_with(client, "a.b.c"))


def test_an_unreachable_provider_is_503_not_500(client, stub_provider, settings):
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    response = exchange_with(client, idporten_token(stub_provider, iss=settings.OIDC_ISSUER))
    assert response.status_code == 503 and response.json()["code"] == "HTTP-503"
    assert not AuditEvent.objects.exists()


# --- the person token is good for nothing else --------------------------------------------------------


@pytest.fixture
def person_token(client, stub_provider):
    f.make_person("Kari Nordmann", pid=KARI)
    token = exchange_with(client, idporten_token(stub_provider)).content.decode()
    assert token.count(".") == 2
    return token


def test_our_access_token_checks_refuse_a_person_token(person_token):
    with pytest.raises(InvalidToken):
        verify_access_token(person_token)


def test_a_person_token_is_401_on_the_vendor_api_the_lookup_and_the_pdp(client, person_token):
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {person_token}"}
    for response in (
        client.get("/authentication/api/v1/systemregister/vendor", **bearer),
        client.get("/authentication/api/v1/systemregister", **bearer),
        client.get("/authentication/api/v1/systemuser/byExternalId", {"clientId": "x"}, **bearer),
        client.get("/authentication/api/v1/systemuser/request/vendor/bysystem/x", **bearer),
        client.post("/authorization/api/v1/authorize", data="{}", content_type="application/json", **bearer),
    ):
        assert response.status_code == 401, (response.request["PATH_INFO"], response.content)


def test_a_person_token_is_no_grant_at_the_token_endpoint(client, person_token):
    body = urlencode({"grant_type": GRANT_TYPE, "assertion": person_token})
    response = client.post("/token", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"

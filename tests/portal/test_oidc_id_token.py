"""id_tokens a correct provider never issues, served by a tiny local provider (discovery, JWKS, token
endpoint) so the portal's checks can be seen to refuse each one with a clear page."""

import time

import pytest
from joserfc.jwk import OctKey, RSAKey

from registry.models import AuditEvent, Person
from tests.oidc_provider.fixtures import pid_of, query_of

pytestmark = pytest.mark.django_db

NINA = pid_of("Nina")


def come_back(client, stub, **claims):
    """Start a login, let the stub answer with an id_token carrying `claims`, return the portal's page."""
    start = client.get("/login/oidc/")
    params = query_of(start["Location"])
    stub.nonce = params["nonce"]
    stub.claims_override = claims
    return client.get("/login/oidc/callback/", {"code": "stub-code", "state": params["state"]})


def assert_refused(response, status: int, heading: str, log, because: str):
    """Refused with a clear page, nobody logged in, nothing written; the log says `because`."""
    assert response.status_code == status
    assert heading in response.content.decode()
    assert 'data-testid="oidc-failed"' in response.content.decode()
    assert response.wsgi_request.user.is_anonymous
    assert not Person.objects.filter(pid=NINA).exists()
    assert not AuditEvent.objects.filter(action="person.login").exists()
    assert because in log.text


def test_a_good_id_token_from_the_stub_logs_in(client, stub_provider):
    response = come_back(client, stub_provider)
    assert response.status_code == 302 and response["Location"] == "/actor/"
    assert Person.objects.get(pid=NINA).name == "Nina Ny Person"


def test_an_id_token_from_another_issuer_is_refused(client, stub_provider, caplog):
    response = come_back(client, stub_provider, iss="https://idporten.evil.example")
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "claim iss")


def test_an_id_token_for_another_client_is_refused(client, stub_provider, caplog):
    response = come_back(client, stub_provider, aud="another-client")
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "claim aud")


def test_an_id_token_for_several_audiences_naming_another_party_is_refused(client, stub_provider, caplog):
    response = come_back(client, stub_provider, aud=["another-client"], azp=stub_provider.client_id)
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "claim aud")


def test_an_id_token_with_another_nonce_is_refused(client, stub_provider, caplog):
    start = client.get("/login/oidc/")
    state = query_of(start["Location"])["state"]
    stub_provider.nonce = "a-nonce-from-another-login"
    response = client.get("/login/oidc/callback/", {"code": "stub-code", "state": state})
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "Invalid claim: 'nonce'")


def test_an_id_token_without_a_nonce_is_refused(client, stub_provider, caplog):
    response = come_back(client, stub_provider, nonce=None)
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "Missing claim: 'nonce'")


def test_an_expired_id_token_is_refused(client, stub_provider, caplog):
    an_hour_ago = int(time.time()) - 3600
    response = come_back(client, stub_provider, iat=an_hour_ago - 120, exp=an_hour_ago)
    assert_refused(response, 400, "Innloggingen er utløpt", caplog, "(expired): expired_token")


def test_an_id_token_signed_with_another_key_is_refused(client, stub_provider, caplog):
    stub_provider.sign_with = RSAKey.generate_key(2048)  # same kid, not the key in the JWKS
    response = come_back(client, stub_provider)
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "BadSignatureError")


def test_an_id_token_signed_by_an_unknown_key_is_refused_after_a_fresh_look_at_the_jwks(client, stub_provider, caplog):
    stub_provider.sign_with = RSAKey.generate_key(2048)
    stub_provider.header = {"alg": "RS256", "kid": "unknown-key"}
    response = come_back(client, stub_provider)
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "No key for kid: 'unknown-key'")


def test_an_id_token_signed_with_a_shared_secret_is_refused_even_if_discovery_allows_it(client, stub_provider, caplog):
    stub_provider.sign_with = OctKey.import_key("stub-secret-stub-secret-stub-secret")
    stub_provider.header = {"alg": "HS256"}
    response = come_back(client, stub_provider)
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "'HS256' is not allowed")


def test_an_unsigned_id_token_is_refused(client, stub_provider, caplog):
    start = client.get("/login/oidc/")
    params = query_of(start["Location"])
    stub_provider.nonce = params["nonce"]
    header, payload, _ = stub_provider.id_token().split(".")
    unsigned_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    stub_provider.token_response = {
        "access_token": "a",
        "token_type": "Bearer",
        "id_token": f"{unsigned_header}.{payload}.",
    }
    response = client.get("/login/oidc/callback/", {"code": "stub-code", "state": params["state"]})
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "'none' is not allowed")


def test_a_token_response_without_an_id_token_is_refused(client, stub_provider, caplog):
    stub_provider.token_response = {"access_token": "a", "token_type": "Bearer"}
    response = come_back(client, stub_provider)
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "no id_token")


def test_an_id_token_without_a_valid_pid_is_refused(client, stub_provider, caplog):
    response = come_back(client, stub_provider, pid="12345678901")
    assert_refused(response, 400, "Innloggingen kunne ikke bekreftes", caplog, "no valid pid")
    assert not Person.objects.exists()


def test_an_id_token_without_an_acr_is_refused_as_too_low(client, stub_provider, caplog):
    response = come_back(client, stub_provider, acr=None)
    assert_refused(response, 403, "Du må logge inn med et høyere sikkerhetsnivå", caplog, "acr None below")


def test_an_id_token_with_an_unknown_acr_is_refused_as_too_low(client, stub_provider, caplog):
    response = come_back(client, stub_provider, acr="Level4")
    assert_refused(response, 403, "Du må logge inn med et høyere sikkerhetsnivå", caplog, "acr 'Level4' below")


def test_a_callback_naming_another_issuer_is_refused(client, stub_provider, caplog):
    start = client.get("/login/oidc/")
    params = query_of(start["Location"])
    stub_provider.nonce = params["nonce"]
    response = client.get(
        "/login/oidc/callback/", {"code": "stub-code", "state": params["state"], "iss": "https://evil.example"}
    )
    assert_refused(response, 400, "Innloggingen er utløpt eller allerede brukt", caplog, "callback from issuer")


def test_a_provider_whose_discovery_names_another_issuer_is_not_used(client, stub_provider, settings):
    settings.OIDC_ISSUER = stub_provider.issuer + "/"  # discovery says the issuer is without the slash
    response = client.get("/login/oidc/")
    assert response.status_code == 502
    assert "Innloggingen feilet hos ID-porten" in response.content.decode()


def test_a_callback_without_a_code_is_refused(client, stub_provider, caplog):
    start = client.get("/login/oidc/")
    state = query_of(start["Location"])["state"]
    response = client.get("/login/oidc/callback/", {"state": state})
    assert_refused(response, 502, "Innloggingen feilet hos ID-porten", caplog, "no code")


def test_a_provider_error_other_than_cancel_is_a_clear_page(client, stub_provider, caplog):
    start = client.get("/login/oidc/")
    state = query_of(start["Location"])["state"]
    response = client.get("/login/oidc/callback/", {"state": state, "error": "server_error"})
    assert_refused(response, 502, "Innloggingen feilet hos ID-porten", caplog, "server_error")


def test_a_provider_that_stops_answering_before_the_token_is_fetched_is_a_clear_page(client, stub_provider, caplog):
    start = client.get("/login/oidc/")
    params = query_of(start["Location"])
    stub_provider.stop()
    response = client.get("/login/oidc/callback/", {"code": "stub-code", "state": params["state"]})
    assert_refused(response, 502, "ID-porten svarer ikke", caplog, "(unreachable)")

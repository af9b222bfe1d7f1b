"""The demo API provider: it validates our tokens against the JWKS, asks our PDP, and answers 200 or 403."""

import io
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from demo.provider import DemoApi
from lib.tokens import keys
from registry.models import SystemUserPackage
from tests import factories as f
from tests.authorization.conftest import make_system_user
from tests.maskinporten.helpers import bearer_for, bearer_for_system_user

API_SCOPE = "demo:krav-og-betalinger"
TRUSTED = {settings.TOKEN_ISSUER: keys.jwks, settings.PLATFORM_TOKEN_ISSUER: keys.PLATFORM.jwks}


@pytest.fixture
def api(client, db):
    return wired_app(client)


def wired_app(client) -> DemoApi:
    """The provider wired to this test server: the real JWKS, and the real PDP view via the test client."""
    owner = f.make_org("Skatteetaten")
    pdp_token = bearer_for(owner, "altinn:authorization/authorize")
    calls = []

    def ask_pdp(body):
        calls.append(body)
        response = client.post(
            "/authorization/api/v1/authorize",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=pdp_token,
        )
        return response.json()

    app = DemoApi(issuers=TRUSTED, ask_pdp=ask_pdp)
    app.pdp_calls = calls
    return app


def call(app, path, *, token=None, method="GET"):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    if token:
        environ["HTTP_AUTHORIZATION"] = token
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split()[0])

    body = b"".join(app(environ, start_response))
    return seen["status"], json.loads(body)


@pytest.fixture
def system_user(customer, system):
    return make_system_user(customer, system, packages=["skatt-naering"])


def test_a_permitted_system_user_gets_the_organisations_claims(api, system_user, customer):
    status, body = call(
        api, f"/krav-og-betalinger/{customer.orgno}", token=bearer_for_system_user(system_user, API_SCOPE)
    )
    assert status == 200
    assert body["organisasjonsnummer"] == customer.orgno
    assert len(body["krav"]) == 3
    assert body["systembruker"] == str(system_user.pk)
    assert api.pdp_calls[0]["Request"]["AccessSubject"][0]["Attribute"][0]["Value"] == str(system_user.pk)


def test_another_organisations_claims_are_forbidden(api, system_user):
    other = f.make_org("Naboen AS")
    status, body = call(api, f"/krav-og-betalinger/{other.orgno}", token=bearer_for_system_user(system_user, API_SCOPE))
    assert status == 403
    assert body["decision"] == "NotApplicable"


def test_writing_without_a_grant_for_write_is_forbidden(api, system_user, customer):
    token = bearer_for_system_user(system_user, API_SCOPE)
    status, body = call(api, f"/krav-og-betalinger/{customer.orgno}/betalinger", token=token, method="POST")
    assert (status, body["error"], body["decision"]) == (403, "access_denied", "NotApplicable")
    [asked] = api.pdp_calls  # the PDP decided, asked about writing for this organisation
    assert asked["Request"]["Action"][0]["Attribute"][0]["Value"] == "write"
    assert asked["Request"]["Resource"][0]["Attribute"][1]["Value"] == customer.orgno
    assert asked["Request"]["AccessSubject"][0]["Attribute"][0]["Value"] == str(system_user.pk)


def test_a_revoked_package_is_forbidden_on_the_next_call(api, system_user, customer):
    token = bearer_for_system_user(system_user, API_SCOPE)
    assert call(api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 200
    SystemUserPackage.objects.filter(system_user=system_user).delete()
    assert call(api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 403


def test_a_token_without_the_api_scope_is_forbidden_before_asking_the_pdp(api, system_user, customer):
    token = bearer_for_system_user(system_user, "some:other-scope")
    status, body = call(api, f"/krav-og-betalinger/{customer.orgno}", token=token)
    assert (status, body["error"]) == (403, "insufficient_scope")
    assert api.pdp_calls == []


def test_a_token_without_a_system_user_is_forbidden(api, vendor, customer):
    status, body = call(api, f"/krav-og-betalinger/{customer.orgno}", token=bearer_for(vendor, API_SCOPE))
    assert (status, body["error"]) == (403, "not_a_system_user")


def test_no_token_is_unauthorized(api, customer):
    assert call(api, f"/krav-og-betalinger/{customer.orgno}")[0] == 401


def test_a_token_signed_by_someone_else_is_unauthorized(api, system_user, customer):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = keys.current_key().kid
    claims = {"iss": settings.TOKEN_ISSUER, "iat": int(time.time()), "exp": int(time.time()) + 60, "scope": API_SCOPE}
    token = "Bearer " + jwt.encode(claims, forger, algorithm="RS256", headers={"kid": kid})
    assert call(api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 401


def test_an_expired_token_is_unauthorized(api, system_user, customer):
    key = keys.current_key()
    now = int(time.time())
    claims = {"iss": settings.TOKEN_ISSUER, "iat": now - 300, "exp": now - 100, "scope": API_SCOPE}
    token = "Bearer " + jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert call(api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 401


def test_a_token_from_another_issuer_is_unauthorized(api, customer):
    key = keys.current_key()
    now = int(time.time())
    claims = {"iss": "https://elsewhere.example/", "iat": now, "exp": now + 60, "scope": API_SCOPE}
    token = "Bearer " + jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert call(api, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 401


def test_an_unreachable_pdp_fails_closed(system_user, customer):
    def broken(body):
        raise ConnectionError("refused")

    app = DemoApi(issuers=TRUSTED, ask_pdp=broken)
    token = bearer_for_system_user(system_user, API_SCOPE)
    assert call(app, f"/krav-og-betalinger/{customer.orgno}", token=token)[0] == 503


def test_the_demo_resource_owner_imports_into_the_register(db):
    from pathlib import Path

    from django.core.management import call_command

    from registry.models import Organisation

    call_command("import_register", str(Path(__file__).resolve().parents[2] / "demo" / "resource-owner.json"))
    assert Organisation.objects.get(orgno="974761076").name == "Skatteetaten (demo API)"

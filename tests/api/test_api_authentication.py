"""Who may call the vendor API: a valid token of ours with the right scope, its vendor named in `consumer`."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.tokens import keys
from registry.models import RegisteredSystem
from tests.api.conftest import BASE, REQUEST_READ, WRITE, Api, assert_problem, system_body
from tests.maskinporten.helpers import bearer_for

ENDPOINTS = [
    ("get", "systemregister/vendor"),
    ("post", "systemregister/vendor"),
    ("post", "systemuser/request/vendor"),
    ("get", "systemuser/vendor/byquery"),
]


def _claims(vendor, scope=WRITE):
    token = bearer_for(vendor, scope).removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})


def _sign(claims, key=None, kid=None):
    ours = keys.current_key()
    return "Bearer " + jwt.encode(
        claims, key or ours.private_key, algorithm="RS256", headers={"kid": kid or ours.kid, "typ": "at+jwt"}
    )


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_no_token_is_401_problem_with_a_bearer_challenge(anonymous, method, path):
    response = getattr(anonymous, method)(path, {}) if method == "post" else anonymous.get(path)
    assert_problem(response, 401, "HTTP-401")
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_401(client, vendor):
    claims = _claims(vendor)
    claims["exp"] = int(time.time()) - 1
    assert_problem(Api(client, _sign(claims)).get("systemregister/vendor"), 401, "HTTP-401")


def test_a_token_from_a_foreign_issuer_is_401(client, vendor):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {**_claims(vendor), "iss": "https://evil.example/"}
    assert_problem(Api(client, _sign(claims, key=stranger, kid="evil")).get("systemregister/vendor"), 401, "HTTP-401")


def test_a_token_with_our_key_but_another_issuer_is_401(client, vendor):
    claims = {**_claims(vendor), "iss": "https://evil.example/"}
    assert_problem(Api(client, _sign(claims)).get("systemregister/vendor"), 401, "HTTP-401")


def test_a_token_without_the_vendor_org_is_401_auth_00023(client, vendor):
    claims = _claims(vendor)
    claims["consumer"] = {"authority": "iso6523-actorid-upis", "ID": "0192:123"}
    assert_problem(Api(client, _sign(claims)).get("systemregister/vendor"), 401, "AUTH-00023")


def test_a_token_for_an_organisation_we_do_not_know_is_401_auth_00023(client, vendor):
    claims = _claims(vendor)
    claims["consumer"] = {"authority": "iso6523-actorid-upis", "ID": "0192:974761076"}
    assert_problem(Api(client, _sign(claims)).get("systemregister/vendor"), 401, "AUTH-00023")


def test_a_token_without_the_scope_is_403_and_changes_nothing(api_as, vendor):
    response = api_as(vendor, REQUEST_READ).post("systemregister/vendor", system_body(vendor))
    assert_problem(response, 403, "HTTP-403")
    assert not RegisteredSystem.objects.exists()


def test_a_system_user_token_is_not_a_vendor_token_without_the_scope(api_as, vendor):
    assert_problem(api_as(vendor, "altinn:maskinporten/systemuser.read").get("systemregister/vendor"), 403, "HTTP-403")


def test_problems_carry_the_callers_trace_id(client, db):
    trace = uuid.uuid4().hex
    response = client.get(BASE + "systemregister/vendor", HTTP_TRACEPARENT=f"00-{trace}-{'1' * 16}-01")
    assert response.json()["traceId"] == trace

"""Grants with wrong claims, scopes or requests: each is a 400 with the CONTRACT §1 error, no token,
no audit event (a refusal is counted as usage)."""

import json
import time
from urllib.parse import urlencode

import pytest

from maskinporten import grants
from tests.maskinporten.helpers import GRANT_TYPE, assert_refused, good_claims, raw_jws


def post_claims(client, setup, **overrides):
    return setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, good_claims(setup, **overrides)))


@pytest.mark.parametrize("aud", ["https://elsewhere.example/", "http://127.0.0.1:8000", ["{issuer}"], 1])
def test_a_wrong_audience_is_refused(client, setup, settings, aud):
    aud = [settings.TOKEN_ISSUER] if aud == ["{issuer}"] else aud
    assert_refused(post_claims(client, setup, aud=aud), "invalid_grant")


def test_the_token_endpoint_url_as_audience_is_refused(client, setup, settings):
    assert_refused(post_claims(client, setup, aud=settings.PORTAL_BASE_URL + "/token"), "invalid_grant")


def test_a_missing_audience_is_refused(client, setup):
    assert_refused(post_claims(client, setup, aud=None), "invalid_grant")


def test_an_unknown_client_is_refused(client, setup):
    response = post_claims(client, setup, iss="no-such-client")
    assert_refused(response, "invalid_grant", "Client not found")


def test_a_deactivated_client_is_refused(client, setup):
    setup.client.is_active = False
    setup.client.save(update_fields=["is_active"])
    assert_refused(post_claims(client, setup), "invalid_grant", "Client not found")


def test_a_sub_other_than_the_client_is_refused(client, setup):
    assert_refused(post_claims(client, setup, sub="someone-else"), "invalid_grant")


def test_a_missing_exp_is_refused(client, setup):
    assert_refused(post_claims(client, setup, exp=None), "invalid_grant")


def test_an_expired_grant_is_refused(client, setup, frozen_now):
    now = frozen_now
    assert_refused(post_claims(client, setup, iat=now - 5, exp=now - 1), "invalid_grant", "JWT is expired")


def test_exp_equal_to_now_is_expired(client, setup, frozen_now):
    now = frozen_now
    assert_refused(post_claims(client, setup, iat=now - 5, exp=now), "invalid_grant", "JWT is expired")


def test_a_grant_living_121_seconds_is_refused(client, setup, frozen_now):
    now = frozen_now
    assert_refused(post_claims(client, setup, iat=now, exp=now + 121), "invalid_grant")


@pytest.mark.parametrize("offset", [11, -11, 3600])
def test_iat_more_than_ten_seconds_off_is_refused(client, setup, offset, frozen_now):
    now = frozen_now
    assert_refused(post_claims(client, setup, iat=now + offset, exp=now + offset + 60), "invalid_grant")


@pytest.mark.parametrize("value", ["1700000000", True, None, 1e400])
def test_a_non_numeric_iat_is_refused(client, setup, value):
    claims = good_claims(setup)
    claims["iat"] = value
    if value is None:
        del claims["iat"]
    raw = json.dumps(claims).replace("Infinity", "1e400")
    assert_refused(setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, raw)), "invalid_grant")


def test_iat_ten_seconds_off_and_a_lifetime_of_120_seconds_are_accepted(client, setup, frozen_now):
    now = frozen_now
    assert post_claims(client, setup, iat=now + 10, exp=now + 130).status_code == 200
    assert post_claims(client, setup, iat=now - 10, exp=now + 1).status_code == 200


def test_a_future_nbf_is_refused(client, setup):
    assert_refused(post_claims(client, setup, nbf=int(time.time()) + 60), "invalid_grant")


def test_a_missing_jti_is_refused(client, setup):
    assert_refused(post_claims(client, setup, jti=None), "invalid_grant")


@pytest.mark.parametrize("jti", ["", 123, "x" * 201])
def test_a_malformed_jti_is_refused(client, setup, jti):
    assert_refused(post_claims(client, setup, jti=jti), "invalid_grant")


def test_an_unknown_claim_is_refused(client, setup):
    assert_refused(post_claims(client, setup, resource="https://api.example"), "invalid_grant", "Invalid assertion")


def test_a_missing_scope_is_refused(client, setup):
    assert_refused(post_claims(client, setup, scope=None), "invalid_scope", "scope is missing")


@pytest.mark.parametrize("scope", ["", "   ", 42, ["altinn:demo/krav.read"]])
def test_an_empty_or_non_string_scope_is_refused(client, setup, scope):
    assert_refused(post_claims(client, setup, scope=scope), "invalid_scope", "scope is missing")


def test_a_scope_not_allowed_for_the_client_is_refused(client, setup):
    body = assert_refused(post_claims(client, setup, scope="altinn:demo/krav.read altinn:admin"), "invalid_scope")
    assert "altinn:admin" in body["error_description"]


def test_our_own_access_token_is_not_a_grant(client, setup):
    token = setup.post(client, setup.grant()).json()["access_token"]
    from registry.models import SystemUserUsage

    SystemUserUsage.objects.all().delete()  # the first grant's token: counted
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


def test_an_oversized_body_is_refused(client, setup):
    response = setup.post(client, setup.grant(), padding="x" * 100_000)
    assert_refused(response, "invalid_request")


def test_an_unsupported_grant_type_is_refused(client, setup):
    data = urlencode({"grant_type": "client_credentials", "assertion": setup.grant()})
    response = client.post("/token", data=data, content_type="application/x-www-form-urlencoded")
    assert_refused(response, "unsupported_grant_type")


@pytest.mark.parametrize(
    "data", ["", "assertion=abc", f"grant_type={GRANT_TYPE}", f"grant_type={GRANT_TYPE}&assertion="]
)
def test_a_request_without_grant_type_or_assertion_is_refused(client, setup, data):
    response = client.post("/token", data=data, content_type="application/x-www-form-urlencoded")
    assert_refused(response, "invalid_request")


def test_a_repeated_parameter_is_refused(client, setup):
    data = urlencode([("grant_type", GRANT_TYPE), ("assertion", setup.grant()), ("assertion", setup.grant())])
    response = client.post("/token", data=data, content_type="application/x-www-form-urlencoded")
    assert_refused(response, "invalid_request")


def test_a_json_body_is_refused(client, setup):
    response = client.post(
        "/token", data={"grant_type": GRANT_TYPE, "assertion": setup.grant()}, content_type="application/json"
    )
    assert_refused(response, "invalid_request")


def test_get_is_not_allowed(client, db):
    assert client.get("/token").status_code == 405


@pytest.mark.parametrize(
    "overrides, description",
    [
        ({"sub": "someone-else"}, "Invalid assertion: sub must be the client id"),
        ({"exp": None}, "Invalid assertion: exp is missing or not a number"),
        ({"iat": "now"}, "Invalid assertion: iat is missing or not a number"),
        ({"nbf": "soon"}, "Invalid assertion: nbf is not a number or in the future"),
        ({"jti": ""}, "Invalid assertion: jti is missing or malformed"),
        ({"jti": "j" * 201}, "Invalid assertion: jti is missing or malformed"),
    ],
)
def test_each_wrong_claim_is_named_to_the_client(client, setup, overrides, description):
    assert_refused(post_claims(client, setup, **overrides), "invalid_grant", description)


@pytest.mark.parametrize("jti", ["j", "j" * 200])
def test_a_jti_of_1_to_200_characters_is_accepted(client, setup, jti):
    assert post_claims(client, setup, jti=jti).status_code == 200


def test_a_grant_valid_from_the_skew_allowance_is_accepted(client, setup, frozen_now):
    body = assert_refused(post_claims(client, setup, nbf=frozen_now + grants.IAT_SKEW_SECONDS + 1), "invalid_grant")
    assert body["error_description"] == "Invalid assertion: nbf is not a number or in the future"
    assert post_claims(client, setup, nbf=frozen_now + grants.IAT_SKEW_SECONDS).status_code == 200


@pytest.mark.parametrize("iss", [42, ["client-fakturering"], "", "c" * 201])
def test_a_malformed_issuer_is_refused_as_a_bad_assertion(client, setup, iss):
    assert_refused(post_claims(client, setup, iss=iss), "invalid_grant", "Invalid assertion")


def test_the_log_says_which_claims_were_unknown_and_why_a_grant_expired(client, setup, caplog):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        post_claims(client, setup, zeta=1, alpha=2)
        post_claims(client, setup, iat=int(time.time()) - 100, exp=int(time.time()) - 50)
    refused = [r.token["reason"] for r in caplog.records if r.getMessage().startswith("token refused")]
    assert refused == ["unknown claims: alpha, zeta", "exp is in the past"]

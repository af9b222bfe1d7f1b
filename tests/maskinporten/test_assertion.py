"""maskinporten.assertion on its own: each malformed grant is refused with the reason the audit log keeps.

The client only ever reads "Invalid assertion" (tests/security/test_token_signature.py); the reason is
for the operator who has to tell a vendor what is wrong with its grants, so it must name the fault."""

import json

import pytest

from lib.tokens.keys import public_jwk_of
from maskinporten.assertion import Assertion, BadAssertion, strict_json
from registry.models import AuditEvent
from tests.maskinporten.helpers import b64url, client_private_key, good_claims, grant_setup, raw_jws

HEADER = b64url('{"alg":"RS256","kid":"k1"}')
CLAIMS = b64url('{"iss":"c"}')


def reason(call, *args) -> str:
    with pytest.raises(BadAssertion) as err:
        call(*args)
    return str(err.value)


@pytest.mark.parametrize(
    "token, why",
    [
        (None, "not a compact JWS"),
        ("æøå.æøå.æøå", "not a compact JWS"),
        (f"{HEADER}.{CLAIMS}", "a signed JWT has 3 segments, this has 2"),
        (f"{HEADER}.{CLAIMS}.AAAA.AAAA", "a signed JWT has 3 segments, this has 4"),
        (f"!!!.{CLAIMS}.AAAA", "malformed base64url"),
        (f"AAAAA.{CLAIMS}.AAAA", "malformed base64url"),  # a length no base64 has
        (f"{HEADER}==.{CLAIMS}.AAAA", "malformed base64url"),  # padding is not base64url
        (f"{HEADER}.{CLAIMS}.A", "malformed base64url"),
        (f"{b64url('not json')}.{CLAIMS}.AAAA", "not valid JSON"),
        (f"{b64url(bytes([0xFF, 0xFE]))}.{CLAIMS}.AAAA", "not valid JSON"),
        (f"{b64url('{"exp": NaN}')}.{CLAIMS}.AAAA", "not valid JSON"),
        (f"{b64url('{"a": 1, "a": 2}')}.{CLAIMS}.AAAA", "duplicate JSON member 'a'"),
        (f"{HEADER}.{b64url('{"iss": "a\\u0000"}')}.AAAA", "NUL or a lone surrogate in the JSON"),
        (f"{HEADER}.{b64url('{"iss": ["\\ud800"]}')}.AAAA", "NUL or a lone surrogate in the JSON"),
        (f"{HEADER}.{b64url('{"\\u0000": 1}')}.AAAA", "NUL or a lone surrogate in the JSON"),
        (f"{b64url('[1]')}.{CLAIMS}.AAAA", "header and claims must be JSON objects"),
        (f"{HEADER}.{b64url('"iss"')}.AAAA", "header and claims must be JSON objects"),
    ],
)
def test_a_malformed_grant_is_refused_with_its_reason(token, why):
    assert reason(Assertion, token) == why


def test_json_nested_deeply_is_refused_not_a_crash():
    assert reason(strict_json, b"[" * 100_000 + b"]" * 100_000) == "not valid JSON"


def test_a_well_formed_grant_is_read():
    grant = Assertion(f"{HEADER}.{CLAIMS}.AAAA")
    assert grant.header == {"alg": "RS256", "kid": "k1"} and grant.claims == {"iss": "c"}
    assert grant.signing_input == f"{HEADER}.{CLAIMS}".encode() and grant.signature == b"\x00\x00\x00"
    assert grant.kid == "k1"


@pytest.mark.parametrize(
    "header, why",
    [
        ({"alg": "HS256", "kid": "k"}, "algorithm 'HS256' is not allowed"),
        ({"alg": "none" * 10, "kid": "k"}, "algorithm 'nonenonenonenonenone' is not allowed"),
        ({"kid": "k"}, "algorithm 'None' is not allowed"),
        (
            {"alg": "RS256", "kid": "k", "x5c": [], "jku": "https://evil.example"},
            ("header key sources or extensions are not accepted: jku, x5c"),
        ),
        ({"alg": "RS256"}, "kid is missing or malformed"),
        ({"alg": "RS256", "kid": 7}, "kid is missing or malformed"),
        ({"alg": "RS256", "kid": "a b"}, "kid is missing or malformed"),
        ({"alg": "RS256", "kid": ""}, "kid is missing or malformed"),
        ({"alg": "RS256", "kid": "k" * 201}, "kid is missing or malformed"),
    ],
)
def test_a_header_we_do_not_accept_is_refused_with_its_reason(header, why):
    grant = Assertion(f"{b64url(json.dumps(header))}.{CLAIMS}.AAAA")
    assert reason(grant.check_header) == why


def test_an_acceptable_header_passes():
    Assertion(f"{b64url(json.dumps({'alg': 'RS512', 'kid': 'a-Z_0.9:@+/='}))}.{CLAIMS}.AAAA").check_header()
    Assertion(f"{b64url(json.dumps({'alg': 'RS256', 'kid': 'k' * 200}))}.{CLAIMS}.AAAA").check_header()


def test_the_signature_is_checked_with_the_registered_key():
    jwk = public_jwk_of(client_private_key().public_key())
    good = Assertion(raw_jws({"alg": "RS256", "kid": "k"}, {"iss": "c"}))
    good.verify_signature(jwk)
    forged = Assertion(raw_jws({"alg": "RS256", "kid": "k"}, {"iss": "c"}, key=False) + "AAAA")
    assert reason(forged.verify_signature, jwk) == "signature does not verify"
    unusable_keys = (
        {},
        {"n": jwk["n"]},
        {"n": 1, "e": "AQAB"},
        {"n": "!!", "e": "AQAB"},
        {"n": [jwk["n"]], "e": "AQAB"},  # JSON can hold anything: a list must be refused, not crash the look-up
        {"n": jwk["n"], "e": ["AQAB"]},
    )
    for unusable in unusable_keys:
        assert reason(good.verify_signature, unusable) == "the registered key is not a usable RSA key"


def test_an_es256_signature_is_checked_with_the_registered_ec_key():
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk_of(key.public_key())
    good = Assertion(jwt.encode({"iss": "c"}, key, algorithm="ES256", headers={"kid": "k"}))
    good.verify_signature(jwk)
    other = public_jwk_of(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert reason(good.verify_signature, other) == "signature does not verify"
    unusable_keys = (
        public_jwk_of(client_private_key().public_key()),  # an RSA key for an ES256 grant
        {},
        {"crv": "P-256", "x": jwk["x"]},
        {"crv": "P-256", "y": jwk["y"]},
        {"x": jwk["x"], "y": jwk["y"]},
        {"crv": "P-384", "x": jwk["x"], "y": jwk["y"]},
        {"crv": "P-256", "x": jwk["y"], "y": jwk["x"]},  # not a point on the curve
        {"crv": "P-256", "x": [jwk["x"]], "y": jwk["y"]},  # JSON can hold anything: refused, not a crash
        {"crv": ["P-256"], "x": jwk["x"], "y": jwk["y"]},
    )
    for unusable in unusable_keys:
        assert reason(good.verify_signature, unusable) == "the registered key is not a usable EC key", unusable


@pytest.mark.django_db
def test_the_log_keeps_the_reason(client, vendor, customer, system, caplog):
    # An unverified refusal is logged (and counted), not audited: anyone can send them (issue 13).
    setup = grant_setup(vendor, customer, system)
    token = raw_jws({"alg": "RS256", "kid": setup.kid, "jku": "https://evil.example"}, good_claims(setup))
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        assert setup.post(client, token).status_code == 400
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("token refused")]
    reason = "header key sources or extensions are not accepted: jku"
    assert refusals == [f"token refused: invalid_grant: {reason} (client -)"]  # refused before the client is known
    assert not AuditEvent.objects.filter(action="token.refused").exists()

"""Grants whose header or signature is wrong: each is a 400 `invalid_grant`, no token,
no audit event (a refusal is counted as usage)."""

import hashlib
import hmac
import json
import socket
import urllib.request

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.tokens.keys import public_jwk_of
from tests.maskinporten.helpers import (
    assert_refused,
    b64url,
    client_private_key,
    good_claims,
    make_client,
    raw_jws,
)


@pytest.fixture
def attacker_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_good_grant_built_by_hand_is_accepted(client, setup):
    # The baseline for this file: the hand-built grants below differ from this one in one thing only.
    response = setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, good_claims(setup)))
    assert response.status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_any_case_is_refused(client, setup, alg):
    token = raw_jws({"alg": alg, "kid": setup.kid}, good_claims(setup), key=False)
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


def test_hs256_keyed_with_the_clients_public_key_is_refused(client, setup):
    public_pem = (
        client_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{b64url(json.dumps({'alg': 'HS256', 'kid': setup.kid}))}.{b64url(json.dumps(good_claims(setup)))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(setup.post(client, f"{signing_input}.{b64url(mac)}"), "invalid_grant")


def test_rs384_and_rs512_are_accepted(client, setup):
    for alg, digest in (("RS384", hashes.SHA384()), ("RS512", hashes.SHA512())):
        token = raw_jws({"alg": alg, "kid": setup.kid}, good_claims(setup), alg_hash=digest)
        assert setup.post(client, token).status_code == 200


def test_the_metadata_advertises_exactly_the_algorithms_a_grant_is_accepted_with(client, setup):
    # One allow-list (lib.tokens.access.GRANT_ALGS) for the grant check and the metadata. ES256 takes an EC
    # P-256 client key (tests/maskinporten/test_self_developed.py signs with one); this client's key is RSA.
    advertised = client.get("/.well-known/oauth-authorization-server").json()[
        "token_endpoint_auth_signing_alg_values_supported"
    ]
    assert advertised == ["RS256", "RS384", "RS512", "ES256"]
    digests = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}
    for alg in advertised[:3]:
        token = raw_jws({"alg": alg, "kid": setup.kid}, good_claims(setup), alg_hash=digests[alg])
        assert setup.post(client, token).status_code == 200, alg


def test_an_rsa_algorithm_outside_the_list_is_refused(client, setup):
    # PS256 takes the same RSA key and PyJWT knows it, but CONTRACT §1 allows RS256/RS384/RS512 only.
    token = raw_jws({"alg": "PS256", "kid": setup.kid}, good_claims(setup))
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


def test_an_unregistered_kid_is_refused(client, setup):
    token = raw_jws({"alg": "RS256", "kid": "not-registered"}, good_claims(setup))
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


def test_a_kid_registered_on_another_client_is_refused(client, setup, other_vendor, attacker_key):
    _, foreign_kid = make_client(other_vendor, "altinn:demo/krav.read", private_key=attacker_key)
    token = raw_jws({"alg": "RS256", "kid": foreign_kid}, good_claims(setup), key=attacker_key)
    assert_refused(setup.post(client, token), "invalid_grant")


@pytest.mark.parametrize(
    "kid",
    ["../../../../dev/null", "' OR '1'='1", "x\u0000y", "a" * 1000, "<script>", 42, None, ["k"], {"k": 1}, ""],
)
def test_kid_injection_strings_are_refused(client, setup, kid):
    token = raw_jws({"alg": "RS256", "kid": kid}, good_claims(setup))
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


@pytest.mark.parametrize("source", ["jku", "x5u", "jwk", "x5c"])
def test_key_sources_in_the_header_are_refused_and_never_fetched(client, setup, attacker_key, monkeypatch, source):
    fetched = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: fetched.append(a))
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: fetched.append(a))
    value = {
        "jku": "http://127.0.0.1:9/jwks.json",
        "x5u": "http://127.0.0.1:9/cert.pem",
        "jwk": {**public_jwk_of(attacker_key.public_key()), "kid": setup.kid},
        "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
    }[source]
    token = raw_jws({"alg": "RS256", "kid": setup.kid, source: value}, good_claims(setup), key=attacker_key)
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")
    assert fetched == []


def test_a_valid_grant_with_a_key_source_is_still_refused(client, setup):
    # Even signed by the registered key: a header that points elsewhere for keys is never accepted.
    token = raw_jws({"alg": "RS256", "kid": setup.kid, "jku": "https://evil.example/jwks"}, good_claims(setup))
    assert_refused(setup.post(client, token), "invalid_grant")


def test_a_grant_signed_by_another_key_is_refused(client, setup, attacker_key):
    token = raw_jws({"alg": "RS256", "kid": setup.kid}, good_claims(setup), key=attacker_key)
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


def test_a_flipped_signature_byte_is_refused(client, setup):
    head, payload, signature = setup.grant().split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert_refused(setup.post(client, f"{head}.{payload}.{flipped}"), "invalid_grant")


def test_a_flipped_payload_byte_is_refused(client, setup):
    head, _, signature = setup.grant().split(".")
    changed = b64url(json.dumps(good_claims(setup, scope="altinn:demo/other")))
    assert_refused(setup.post(client, f"{head}.{changed}.{signature}"), "invalid_grant", "Invalid assertion")


@pytest.mark.parametrize(
    "assertion",
    [
        "!!!.###.$$$",
        "eyJhbGciOiJSUzI1NiJ9",
        "a.b",
        "a.b.c.d.e",
        "eyJhbGciOiJSUzI1NiJ9==.e30.AAAA",
        "e30.e30.A",
        "bm90IGpzb24.bm90IGpzb24.AAAA",
        "WzFd.WzFd.AAAA",
        "...",
        "æøå.æøå.æøå",
    ],
)
def test_malformed_assertions_are_refused(client, setup, assertion):
    assert_refused(setup.post(client, assertion), "invalid_grant", "Invalid assertion")


def test_five_segments_of_a_real_grant_are_refused(client, setup):
    assert_refused(setup.post(client, setup.grant() + ".AAAA.AAAA"), "invalid_grant")


def test_duplicate_members_in_the_header_are_refused(client, setup):
    header = f'{{"alg": "RS256", "kid": "{setup.kid}", "alg": "none"}}'
    assert_refused(setup.post(client, raw_jws(header, good_claims(setup))), "invalid_grant", "Invalid assertion")


def test_duplicate_members_in_the_claims_are_refused(client, setup, other_vendor):
    claims = json.dumps(good_claims(setup))
    duplicated = claims[:-1] + ', "iss": "someone-else"}'
    token = raw_jws({"alg": "RS256", "kid": setup.kid}, duplicated)
    assert_refused(setup.post(client, token), "invalid_grant", "Invalid assertion")


def test_duplicate_members_inside_authorization_details_are_refused(client, setup, other_vendor):
    claims = good_claims(setup)
    org = json.dumps(claims.pop("authorization_details")[0]["systemuser_org"])
    details = f'[{{"type": "urn:altinn:systemuser", "systemuser_org": {org}, "externalRef": "a", "externalRef": "b"}}]'
    raw = json.dumps(claims)[:-1] + f', "authorization_details": {details}}}'
    assert_refused(setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, raw)), "invalid_grant")

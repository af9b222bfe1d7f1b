"""lib.tokens.access on its own: the token we sign (every claim a resource owner reads), and each way a
bearer token is refused, with the reason our API answers."""

import time
import uuid

import jwt
import pytest
from django.conf import settings

from lib.tokens import access, keys

ORGNO = "974761076"


def sign(claims: dict, *, typ: str | None = "at+jwt", kid: str | None = None, alg: str = "RS256") -> str:
    key = keys.current_key()
    headers = {"kid": key.kid if kid is None else kid}
    if typ is not None:
        headers["typ"] = typ
    return jwt.encode(claims, key.private_key, algorithm=alg, headers=headers)


def good_claims(**overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": settings.TOKEN_ISSUER,
        "client_id": "c1",
        "scope": "a:b",
        "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{ORGNO}"},
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def refused(token) -> str:
    with pytest.raises(access.InvalidToken) as err:
        access.verify_access_token(token)
    return str(err.value)


def test_the_token_we_sign_carries_every_claim_a_resource_owner_reads(settings):
    settings.TOKEN_LIFETIME_SECONDS = 90
    details = access.systemuser_details("5f0c", ORGNO, "974761076_fakturering")
    before = int(time.time())
    body = access.sign_access_token(
        client_id="c1", consumer_orgno=ORGNO, scopes=["a:b", "c:d"], authorization_details=details
    )
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "authorization_details"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 90, "a:b c:d")
    assert body["authorization_details"] == details
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "RS256", "kid": keys.current_key().kid, "typ": "at+jwt"}
    claims = access.verify_access_token(body["access_token"])
    assert claims["iss"] == settings.TOKEN_ISSUER
    assert (claims["client_amr"], claims["token_type"]) == ("private_key_jwt", "Bearer")
    assert claims["client_id"] == claims["sub"] == "c1" and claims["scope"] == "a:b c:d"
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{ORGNO}"}
    assert claims["exp"] - claims["iat"] == 90 and claims["iat"] >= before
    assert uuid.UUID(claims["jti"]) and claims["authorization_details"] == details
    assert access.consumer_orgno(claims) == ORGNO and access.scopes_of(claims) == {"a:b", "c:d"}


def test_a_token_without_a_system_user_has_no_authorization_details():
    body = access.sign_access_token(client_id="c1", consumer_orgno=ORGNO, scopes=["a:b"])
    assert "authorization_details" not in body
    assert "authorization_details" not in access.verify_access_token(body["access_token"])


def test_the_system_user_detail_has_altinns_shape():
    assert access.systemuser_details(uuid.UUID(int=7), ORGNO, "sys") == [
        {
            "type": "urn:altinn:systemuser",
            "systemuser_id": [str(uuid.UUID(int=7))],
            "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{ORGNO}"},
            "system_id": "sys",
        }
    ]


@pytest.mark.parametrize(
    "token, why",
    [
        (None, "Malformed token"),
        ("", "Malformed token"),
        ("not.a.jwt", "Malformed token"),
        (12345, "Malformed token"),
        (["a.b.c"], "Malformed token"),
    ],
)
def test_a_malformed_token_is_refused(token, why):
    assert refused(token) == why


def token_of_length(length: int) -> str:
    """A valid token exactly `length` characters long (padded with a claim the checks ignore)."""
    pad = (length - len(sign(good_claims()))) * 3 // 4 - 30
    for extra in range(pad, pad + 40):
        for tail in ("", "y", "yy"):
            token = sign(good_claims(pad="x" * extra, tail=tail))
            if len(token) == length:
                return token
    raise AssertionError(f"no token of length {length}")


def test_a_token_of_the_largest_size_is_read_one_character_more_is_not():
    limit = access.MAX_TOKEN_LENGTH
    assert access.verify_access_token(token_of_length(limit))["client_id"] == "c1"
    assert refused(token_of_length(limit + 1)) == "Malformed token"


def test_an_algorithm_outside_the_list_is_refused():
    token = jwt.encode(good_claims(), "secret-of-32-bytes-at-the-least!", algorithm="HS256", headers={"kid": "k"})
    assert refused(token) == "Algorithm not allowed"


def test_each_way_a_token_of_ours_is_wrong_has_its_reason():
    assert refused(sign(good_claims(), typ=None)) == "Not an access token"
    assert refused(sign(good_claims(), typ="JWT")) == "Not an access token"
    assert refused(sign(good_claims(), kid="someone-elses")) == "Unknown signing key"
    assert refused(sign(good_claims(exp=int(time.time()) - 1))) == "Token is expired"
    assert refused(sign(good_claims(iss="https://other.example"))) == "Token is from another issuer"
    for claim in ("iss", "exp", "iat", "client_id", "scope", "consumer"):
        assert refused(sign(good_claims(**{claim: None}))) == "Invalid token", claim
    assert refused(sign(good_claims(client_id=7))) == "Invalid token"
    assert refused(sign(good_claims(scope=["a:b"]))) == "Invalid token"
    assert refused(sign(good_claims(consumer={"authority": "x", "ID": f"0192:{ORGNO}"}))) == "Invalid consumer"
    assert refused(sign(good_claims(consumer="0192:" + ORGNO))) == "Invalid consumer"
    assert access.verify_access_token(sign(good_claims(), alg="RS512"))["client_id"] == "c1"


def test_without_both_external_settings_no_foreign_key_is_fetched(settings, monkeypatch):
    fetched = []
    monkeypatch.setattr(access, "_external_jwks", lambda: fetched.append(1) or pytest.fail("a key was fetched"))
    for issuer, jwks_url in (("https://maskinporten.example/", ""), ("", "https://maskinporten.example/jwks")):
        settings.EXTERNAL_MASKINPORTEN_ISSUER, settings.EXTERNAL_MASKINPORTEN_JWKS_URL = issuer, jwks_url
        assert refused(sign(good_claims(), kid="mp-key")) == "Unknown signing key"
    assert fetched == []


def test_the_scopes_of_a_token_without_scope_are_none():
    assert access.scopes_of({}) == frozenset() and access.consumer_orgno({}) == ""


def test_a_token_that_names_an_audience_is_good_only_where_it_names_us(settings):
    settings.ACCEPTED_TOKEN_AUDIENCES = ["https://platform.example/"]
    for aud in (
        "https://platform.example",
        "https://platform.example/",
        ["https://x.example", "https://platform.example"],
    ):
        assert access.verify_access_token(sign(good_claims(aud=aud)))["client_id"] == "c1", aud
    for aud in (
        "https://x.example",
        ["https://x.example"],
        [],
        7,
        [7],
        "platform.example",
        "https://platform.example/x",
    ):
        assert refused(sign(good_claims(aud=aud))) == "Token is for another audience", aud


def test_audiences_are_compared_whole_but_for_trailing_slashes(settings):
    settings.ACCEPTED_TOKEN_AUDIENCES = ["https://platform.example/X"]
    assert access.verify_access_token(sign(good_claims(aud="https://platform.example/X/")))["client_id"] == "c1"
    for aud in ("https://platform.example/", "https://platform.example/XX", "https://platform.example"):
        assert refused(sign(good_claims(aud=aud))) == "Token is for another audience", aud


def test_a_token_not_valid_until_later_is_refused_and_says_so():
    later = int(time.time()) + 600
    assert refused(sign(good_claims(nbf=later))) == "Token is not valid yet"

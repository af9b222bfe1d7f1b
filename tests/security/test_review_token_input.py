"""Security review: a NUL or a lone surrogate anywhere in a grant is refused as a malformed assertion.

JSON escapes (`\\u0000`, `\\ud800`) carry both into the claims; from there they reached the client
look-up (before any signature check), the `jti` insert, the system-user look-up and the audit event
of the refusal — PostgreSQL refuses NUL and no UTF-8 encoder sends a lone surrogate, so the caller got
a 500 instead of the CONTRACT §1 error.
"""

import json

import pytest
from django.test import Client

from tests.maskinporten.helpers import assert_refused, good_claims, raw_jws, systemuser_details

BAD = ["a\x00b", "\ud800", "x\udfff"]


@pytest.fixture
def http():
    return Client(raise_request_exception=False)  # a 500 must show as the response a caller gets


def post(http, setup, claims: dict, **header) -> dict:
    assertion = raw_jws({"alg": "RS256", "kid": setup.kid, **header}, json.dumps(claims))
    return setup.post(http, assertion)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("claim", ["iss", "sub", "jti", "scope", "aud"])
def test_a_bad_character_in_a_claim_is_an_invalid_assertion(http, setup, claim, bad):
    response = post(http, setup, good_claims(setup, **{claim: bad}))
    assert_refused(response, "invalid_grant", "Invalid assertion")


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_character_in_the_external_ref_is_an_invalid_assertion(http, setup, bad):
    claims = good_claims(setup, authorization_details=systemuser_details(setup.owner_orgno, externalRef=bad))
    assert_refused(post(http, setup, claims), "invalid_grant", "Invalid assertion")


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_character_in_the_header_is_an_invalid_assertion(http, setup, bad):
    assert_refused(post(http, setup, good_claims(setup), kid=bad), "invalid_grant", "Invalid assertion")

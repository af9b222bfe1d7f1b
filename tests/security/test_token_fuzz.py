"""Whatever arrives at /token, the answer is a 400 in the CONTRACT §1 format (or a token), never a 500."""

import json
import time

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maskinporten import grants
from tests.maskinporten.helpers import good_claims, raw_jws

ERRORS = {
    "invalid_request",
    "unsupported_grant_type",
    "invalid_grant",
    "invalid_scope",
    "invalid_authorization_details",
    "invalid_altinn_customer_configuration",
}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


def assert_clean_refusal(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] in ERRORS
    assert "access_token" not in body


@FUZZ
@given(assertion=st.text(min_size=1, max_size=400))
def test_random_assertions_are_refused_cleanly(client, setup, assertion):
    assert_clean_refusal(setup.post(client, assertion))


@FUZZ
@given(
    claim=st.sampled_from(["aud", "iss", "sub", "iat", "exp", "nbf", "jti", "scope", "authorization_details"]),
    value=json_values,
)
def test_any_json_in_any_claim_of_a_signed_grant_is_handled(client, setup, claim, value):
    claims = good_claims(setup)
    claims[claim] = value
    response = setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, json.dumps(claims)))
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert_clean_refusal(response)


@FUZZ
@given(header=st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_any_json_header_is_handled(client, setup, header):
    response = setup.post(client, raw_jws(header, good_claims(setup)))
    assert_clean_refusal(response)


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no savepoints around the jti
def test_a_system_user_grant_costs_a_bounded_number_of_queries(
    client, setup, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(grants, "_last_purge", time.monotonic())  # the once-a-minute clean-up is not per grant
    assert setup.post(client, setup.grant()).status_code == 200  # once-per-process work (SQLite's feature probes)
    grant = setup.grant()
    # The client key with the system user in one SELECT; the jti spent with the usage record: one statement
    # and one commit on PostgreSQL, a transaction of two INSERTs on SQLite (BEGIN and COMMIT count here).
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 5):
        assert setup.post(client, grant).status_code == 200

"""Security review: input the PDP must refuse with a 400 problem — never a 500, never a decision.

A deeply nested body made `json.loads` raise RecursionError, and a NUL or a lone surrogate in an
attribute value reached the database, which PostgreSQL refuses (and no UTF-8 encoder can send).
"""

import json
import uuid

import pytest
from django.test import Client

from tests import factories as f
from tests.maskinporten.helpers import bearer_for

URL = "/authorization/api/v1/authorize"
SCOPE = "altinn:authorization/authorize"


@pytest.fixture
def pdp(db):
    http = Client(raise_request_exception=False)  # a 500 must show as the response a caller gets
    auth = bearer_for(f.make_org("Skatteetaten"), SCOPE)

    def post(raw: str):
        return http.post(URL, raw, content_type="application/json", HTTP_AUTHORIZATION=auth)

    return post


def body(*, action="read", resource="ske-krav-og-betalinger", orgno=None, subject=None) -> str:
    def attrs(*pairs):
        return {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}

    return json.dumps(
        {
            "Request": {
                "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", subject or str(uuid.uuid4())))],
                "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", action))],
                "Resource": [
                    attrs(("urn:altinn:resource", resource), ("urn:altinn:organization:identifier-no", orgno))
                ],
            }
        }
    )


def assert_bad_request(response):
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "STD-00000" and "Response" not in problem
    return problem


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"Request":' * 20_000 + "1" + "}" * 20_000])
def test_a_deeply_nested_body_is_a_bad_request(pdp, raw):
    assert_bad_request(pdp(raw))


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "\ud800", "read\udfff"])
@pytest.mark.parametrize("where", ["action", "resource"])
def test_nul_and_lone_surrogates_in_a_value_are_a_bad_request(pdp, customer, bad, where):
    problem = assert_bad_request(pdp(body(orgno=customer.orgno, **{where: bad})))
    assert "not allowed" in problem["detail"]

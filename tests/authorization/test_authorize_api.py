"""POST /authorization/api/v1/authorize: the XACML JSON profile over HTTP (CONTRACT §3)."""

import json
import time
import uuid

import pytest

from registry.models import SystemUserPackage
from tests import factories as f
from tests.maskinporten.helpers import bearer_for

URL = "/authorization/api/v1/authorize"
SCOPE = "altinn:authorization/authorize"
KRAV = "ske-krav-og-betalinger"


@pytest.fixture
def resource_owner(db):
    return f.make_org("Skatteetaten")


@pytest.fixture
def pdp(client, resource_owner):
    """POST a body (dict or raw string) with a token carrying the authorize scope; returns the response."""
    auth = bearer_for(resource_owner, SCOPE)

    def post(body, *, query: str = "", **headers):
        data = body if isinstance(body, str) else json.dumps(body)
        headers.setdefault("HTTP_AUTHORIZATION", auth)
        return client.post(URL + query, data, content_type="application/json", **headers)

    return post


def attrs(*pairs):
    return {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}


def single(system_user_id, action, resource, orgno):
    return {
        "Request": {
            "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", str(system_user_id)))],
            "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", action))],
            "Resource": [attrs(("urn:altinn:resource", resource), ("urn:altinn:organization:identifier-no", orgno))],
        }
    }


def decisions_of(response):
    assert response.status_code == 200, response.content
    return [r["Decision"] for r in response.json()["Response"]]


def test_it_permits_a_package_grant(pdp, standard_user, customer):
    response = pdp(single(standard_user.pk, "read", KRAV, customer.orgno))
    assert decisions_of(response) == ["Permit"]
    assert response.json()["Response"][0]["Status"] == {
        "StatusCode": {"Value": "urn:oasis:names:tc:xacml:1.0:status:ok"}
    }


def test_it_permits_a_single_right(pdp, standard_user, customer):
    assert decisions_of(pdp(single(standard_user.pk, "write", "ske-innrapportering-a-melding", customer.orgno))) == [
        "Permit"
    ]


def test_it_accepts_the_party_as_a_party_uuid(pdp, standard_user, customer):
    body = single(standard_user.pk, "read", KRAV, customer.orgno)
    body["Request"]["Resource"] = [attrs(("urn:altinn:resource", KRAV), ("urn:altinn:party:uuid", str(customer.pk)))]
    assert decisions_of(pdp(body)) == ["Permit"]


def test_it_is_not_applicable_for_another_party(pdp, standard_user):
    other = f.make_org("Naboen AS")
    assert decisions_of(pdp(single(standard_user.pk, "read", KRAV, other.orgno))) == ["NotApplicable"]


def test_it_is_not_applicable_for_another_action(pdp, standard_user, customer):
    assert decisions_of(pdp(single(standard_user.pk, "sign", KRAV, customer.orgno))) == ["NotApplicable"]


def test_it_is_not_applicable_right_after_a_revocation(pdp, standard_user, customer):
    body = single(standard_user.pk, "read", KRAV, customer.orgno)
    assert decisions_of(pdp(body)) == ["Permit"]
    SystemUserPackage.objects.filter(system_user=standard_user).delete()
    assert decisions_of(pdp(body)) == ["NotApplicable"]


def test_it_is_not_applicable_for_an_unknown_system_user(pdp, customer):
    assert decisions_of(pdp(single(uuid.uuid4(), "read", KRAV, customer.orgno))) == ["NotApplicable"]


def test_it_permits_an_agent_for_its_client(pdp, agent_user, customer):
    assert decisions_of(pdp(single(agent_user.pk, "write", KRAV, customer.orgno))) == ["Permit"]


def test_multi_requests_answer_one_response_each_in_order(pdp, standard_user, customer):
    other = f.make_org("Naboen AS")
    body = {
        "Request": {
            "AccessSubject": [{"Id": "s1", **attrs(("urn:altinn:systemuser:uuid", str(standard_user.pk)))}],
            "Action": [
                {"Id": "read", **attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", "read"))},
                {"Id": "write", **attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", "write"))},
            ],
            "Resource": [
                {
                    "Id": "own",
                    **attrs(("urn:altinn:resource", KRAV), ("urn:altinn:organization:identifier-no", customer.orgno)),
                },
                {
                    "Id": "other",
                    **attrs(("urn:altinn:resource", KRAV), ("urn:altinn:organization:identifier-no", other.orgno)),
                },
            ],
            "MultiRequests": {
                "RequestReference": [
                    {"ReferenceId": ["s1", "write", "own"]},
                    {"ReferenceId": ["s1", "read", "own"]},
                    {"ReferenceId": ["s1", "read", "other"]},
                    {"ReferenceId": ["own", "read", "s1"]},
                ]
            },
        }
    }
    assert decisions_of(pdp(body)) == ["NotApplicable", "Permit", "NotApplicable", "Permit"]


def test_member_names_are_matched_case_insensitively(pdp, standard_user, customer):
    body = {
        "request": {
            "accessSubject": {
                "attribute": {"attributeId": "urn:altinn:systemuser:uuid", "value": str(standard_user.pk)}
            },
            "action": {
                "attribute": [{"attributeid": "urn:oasis:names:tc:xacml:1.0:action:action-id", "value": "read"}]
            },
            "resource": {
                "attribute": [
                    {"AttributeId": "urn:altinn:resource", "Value": KRAV},
                    {"AttributeId": "urn:altinn:organization:identifier-no", "Value": customer.orgno},
                ]
            },
        }
    }
    assert decisions_of(pdp(body)) == ["Permit"]


def test_explain_names_the_package_that_permitted(pdp, standard_user, customer):
    response = pdp(single(standard_user.pk, "read", KRAV, customer.orgno), query="?explain=true")
    explanation = response.json()["Response"][0]["Explanation"]
    assert explanation["reason"] == "package"
    assert explanation["accessPackage"] == "urn:altinn:accesspackage:skatt-naering"


def test_explain_says_why_nothing_permitted(pdp, standard_user, customer):
    response = pdp(single(standard_user.pk, "write", KRAV, customer.orgno), query="?explain=true")
    explanation = response.json()["Response"][0]["Explanation"]
    assert explanation["reason"] == "no_grant"
    assert "urn:altinn:accesspackage:krav-og-utlegg" in explanation["policyPackages"]


def test_without_explain_there_is_no_explanation(pdp, standard_user, customer):
    response = pdp(single(standard_user.pk, "read", KRAV, customer.orgno))
    assert "Explanation" not in response.json()["Response"][0]


TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    405: "Method Not Allowed",
    413: "Content Too Large",
}


def assert_problem(response, status=400):
    """The vendor API's problem format (lib/problems.py): one builder, one `type` scheme, `HTTP-<status>`
    for refusals Altinn answers without a code, STD-00000 for malformed input."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"] and body["traceId"]
    assert body["type"] == f"https://datatracker.ietf.org/doc/html/rfc9110#status.{status}"
    assert body["title"] == TITLES[status]
    assert body["code"] == ("STD-00000" if status == 400 else f"HTTP-{status}")
    assert "Response" not in body
    return body


def test_a_subject_combined_with_other_attributes_is_rejected(pdp, standard_user, customer):
    body = single(standard_user.pk, "read", KRAV, customer.orgno)
    body["Request"]["AccessSubject"][0]["Attribute"].append({"AttributeId": "urn:altinn:userid", "Value": "1337"})
    problem = assert_problem(pdp(body))
    assert "stand alone" in problem["detail"]
    assert problem["validationErrors"][0]["paths"] == ["/Request/AccessSubject/0"]


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"Request": null}',
        '{"Request": {"Action": [], "Resource": []}}',
        "\xff\xfe",
    ],
)
def test_malformed_bodies_are_rejected(pdp, raw):
    assert_problem(pdp(raw))


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["Request"]["AccessSubject"][0]["Attribute"][0].update(Value="not-a-uuid"),
        lambda b: b["Request"]["AccessSubject"][0]["Attribute"][0].update(AttributeId="urn:altinn:userid"),
        lambda b: b["Request"]["Action"][0]["Attribute"][0].update(Value=""),
        lambda b: b["Request"]["Action"][0]["Attribute"][0].update(Value=["read"]),
        lambda b: b["Request"]["Resource"][0]["Attribute"][1].update(Value="123456789"),
        lambda b: b["Request"]["Resource"][0]["Attribute"].pop(0),
        lambda b: b["Request"]["Resource"][0]["Attribute"].pop(1),
        lambda b: b["Request"]["Resource"][0]["Attribute"].append(
            {"AttributeId": "urn:altinn:party:uuid", "Value": str(uuid.uuid4())}
        ),
        lambda b: b["Request"]["Resource"].append(b["Request"]["Resource"][0]),
        lambda b: b["Request"].update(MultiRequests={"RequestReference": [{"ReferenceId": ["x"]}]}),
    ],
    ids=[
        "subject-not-uuid",
        "subject-not-a-system-user",
        "empty-action",
        "action-not-a-string",
        "orgno-bad-check-digit",
        "no-resource-id",
        "no-party",
        "two-parties",
        "two-resources-without-multirequests",
        "reference-to-unknown-id",
    ],
)
def test_malformed_requests_are_rejected_never_permitted(pdp, standard_user, customer, change):
    body = single(standard_user.pk, "read", KRAV, customer.orgno)
    change(body)
    assert_problem(pdp(body))


def test_a_multi_request_with_an_incomplete_reference_is_rejected(pdp, standard_user, customer):
    body = single(standard_user.pk, "read", KRAV, customer.orgno)
    for i, key in enumerate(("AccessSubject", "Action", "Resource")):
        body["Request"][key][0]["Id"] = f"c{i}"
    body["Request"]["MultiRequests"] = {"RequestReference": [{"ReferenceId": ["c0", "c1"]}]}
    assert "lacks Resource" in assert_problem(pdp(body))["detail"]


def test_a_caller_without_the_scope_is_forbidden(pdp, resource_owner, standard_user, customer):
    token = bearer_for(resource_owner, "altinn:authentication/systemregister.write")
    response = pdp(single(standard_user.pk, "read", KRAV, customer.orgno), HTTP_AUTHORIZATION=token)
    assert_problem(response, 403)


def test_a_caller_without_a_token_is_unauthorized(client, standard_user, customer):
    body = json.dumps(single(standard_user.pk, "read", KRAV, customer.orgno))
    response = client.post(URL, body, content_type="application/json")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_caller_with_a_forged_token_is_unauthorized(pdp, standard_user, customer):
    response = pdp(single(standard_user.pk, "read", KRAV, customer.orgno), HTTP_AUTHORIZATION="Bearer abc.def.ghi")
    assert_problem(response, 401)


def test_it_rejects_get(client, resource_owner):
    response = client.get(URL, HTTP_AUTHORIZATION=bearer_for(resource_owner, SCOPE))
    assert_problem(response, 405)


def test_a_decision_costs_a_bounded_number_of_queries(pdp, standard_user, customer, django_assert_max_num_queries):
    body = single(standard_user.pk, "write", "ske-innrapportering-a-melding", customer.orgno)
    with django_assert_max_num_queries(1):
        assert decisions_of(pdp(body)) == ["Permit"]


def test_a_token_used_before_is_refused_once_it_has_expired(client, resource_owner, standard_user, customer, settings):
    settings.TOKEN_LIFETIME_SECONDS = 2  # exp is whole seconds: valid for at least 1 s more, at most 2
    token = bearer_for(resource_owner, SCOPE)
    body = json.dumps(single(standard_user.pk, "read", KRAV, customer.orgno))
    first = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=token)
    assert first.status_code == 200
    time.sleep(3.1)  # the token's exp passes; the view's reuse of verified tokens must not outlive it
    assert_problem(client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=token), 401)


def test_an_oversized_body_is_rejected(pdp, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert_problem(pdp({"Request": {"padding": "x" * 2048}}), 413)

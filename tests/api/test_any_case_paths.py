"""Altinn's API is ASP.NET, whose routing matches the fixed segments of a path without regard to case:
a vendor calling `…/systemuser/byexternalid` or `…/SystemRegister/vendor` gets the same operation here.
Path parameters keep their exact value."""

import json
import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.api.conftest import BASE, assert_problem

PARAMETER = re.compile(r"\{[^}]+\}")


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "delete", "patch"}
    return sorted((path, method) for path, item in schema["paths"].items() for method in item if method in methods)


def _other_case(path: str) -> str:
    """Every fixed segment in another case: alternately upper case and swapped case."""
    segments = path.split("/")
    changed = [s if PARAMETER.search(s) else (s.upper() if i % 2 else s.swapcase()) for i, s in enumerate(segments)]
    return "/".join(changed)


def _fill(path: str) -> str:
    return PARAMETER.sub("311000039_demo", path)


def _call(path: str, method: str):
    return Client().generic(method.upper(), path, "{}", content_type="application/json")


OPERATIONS = _operations()


def test_the_schema_lists_the_operations_in_their_canonical_casing():
    paths = {path for path, _ in OPERATIONS}
    assert "/authentication/api/v1/systemuser/byExternalId" in paths
    assert "/authentication/api/v1/systemregister/vendor/{system_id}/rights" in paths
    assert len(OPERATIONS) > 30


@pytest.mark.django_db
@pytest.mark.parametrize("path, method", OPERATIONS)
def test_every_operation_answers_with_its_fixed_segments_in_another_case(path, method):
    canonical = _fill(path)
    other = _fill(_other_case(path))
    assert other != canonical
    expected = _call(canonical, method)
    response = _call(other, method)
    assert response.status_code != 404, response.content
    assert response.status_code == expected.status_code  # the same view: e.g. 401 without a token
    assert response["Content-Type"] == expected["Content-Type"]


@pytest.mark.django_db
def test_the_prefix_in_another_case_reaches_the_vendor_api(api, system):
    response = api.client.get(f"/Authentication/API/V1/SystemRegister/Vendor/{system.system_id}", **api.headers)
    assert response.status_code == 200
    assert response.json()["id"] == system.system_id


@pytest.mark.django_db
def test_a_system_id_differing_only_in_case_is_another_system(api, system):
    other_id = system.system_id.upper()
    assert other_id != system.system_id
    assert_problem(api.get(f"systemregister/vendor/{other_id}"), 404, "AUTH-00011")
    assert_problem(api.get(f"SystemRegister/Vendor/{other_id}"), 404, "AUTH-00011")
    assert api.client.get(BASE + f"SYSTEMREGISTER/{other_id}", **api.headers).status_code == 404
    assert api.get(f"systemregister/vendor/{system.system_id}").status_code == 200


@pytest.mark.django_db
def test_a_request_made_at_another_casing_gets_the_canonical_location_and_confirm_url(api, system, customer, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    body = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "accessPackages": []}
    body["rights"] = [
        {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}
    ]
    response = api.client.post(
        "/AUTHENTICATION/api/v1/SystemUser/Request/Vendor", json.dumps(body), "application/json", **api.headers
    )
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert response["Location"] == f"http://testserver/authentication/api/v1/systemuser/request/vendor/{request_id}"
    assert response.json()["confirmUrl"] == f"https://portal.example/systemuser/request?id={request_id}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/AUTHENTICATION/api/v1/nope", "/authentication/API/v1", "/Authorization/Api/V1/x"])
def test_an_unknown_path_in_another_case_is_still_the_404_problem(client, path):
    assert_problem(client.post(path), 404, "HTTP-404")


@pytest.mark.django_db
def test_the_pdp_in_another_case_answers_as_the_pdp(client):
    response = client.post("/authorization/api/v1/Authorize", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_the_token_endpoint_is_exact_as_maskinporten(client):
    assert client.post("/Token").status_code == 404

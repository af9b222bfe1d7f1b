"""An API client per vendor: a real bearer token from our token code, JSON in and out."""

import json

import pytest

from tests.maskinporten.helpers import bearer_for

BASE = "/authentication/api/v1/"
WRITE = "altinn:authentication/systemregister.write"
ADMIN = "altinn:authentication/systemregister.admin"
REQUEST_WRITE = "altinn:authentication/systemuser.request.write"
REQUEST_READ = "altinn:authentication/systemuser.request.read"
ALL_VENDOR_SCOPES = (WRITE, REQUEST_WRITE, REQUEST_READ)


class Api:
    def __init__(self, client, authorization: str | None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    def get(self, path: str, **params):
        return self.client.get(BASE + path, params, **self.headers)

    def post(self, path: str, body, *, raw: bool = False):
        data = body if raw else json.dumps(body)
        return self.client.post(BASE + path, data=data, content_type="application/json", **self.headers)

    def put(self, path: str, body, *, raw: bool = False):
        data = body if raw else json.dumps(body)
        return self.client.put(BASE + path, data=data, content_type="application/json", **self.headers)

    def delete(self, path: str):
        return self.client.delete(BASE + path, **self.headers)


@pytest.fixture
def api_as(client):
    def make(org, *scopes: str) -> Api:
        return Api(client, bearer_for(org, *(scopes or ALL_VENDOR_SCOPES)))

    return make


@pytest.fixture
def api(api_as, vendor):
    """The vendor `Fakturaprogrammet AS` with every vendor scope."""
    return api_as(vendor)


@pytest.fixture
def other_api(api_as, other_vendor):
    return api_as(other_vendor)


@pytest.fixture
def anonymous(client):
    return Api(client, None)


def system_body(org, suffix: str = "lonn", **overrides) -> dict:
    body = {
        "id": f"{org.orgno}_{suffix}",
        "vendor": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org.orgno}"},
        "name": {"nb": "Lønnssystem", "nn": "Lønssystem", "en": "Payroll"},
        "description": {"nb": "Lønn og a-melding"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": "ske-innrapportering-a-melding"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:lonn"}],
        "clientId": ["6f1c8e8a-3d1f-4a43-9a57-2f2b7a3c9d10"],
        "allowedRedirectUrls": ["https://lonn.example/callback"],
        "isVisible": True,
    }
    body.update(overrides)
    return body


def assert_problem(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "code", "traceId"}
    return body


def validation_codes(response) -> list[str]:
    body = assert_problem(response, 400, "STD-00000")
    return [e["code"] for e in body["validationErrors"]]

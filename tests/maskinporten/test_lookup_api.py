from datetime import timedelta

import pytest
from django.utils import timezone

from housekeeping import retention
from registry.models import SystemUser
from tests.api.conftest import BASE
from tests.maskinporten.helpers import bearer_for

URL = "/authentication/api/v1/systemuser/byExternalId"
SCOPE = "altinn:maskinporten/systemuser.read"


@pytest.fixture
def maskinporten_auth(db):
    from tests import factories as f

    return bearer_for(f.make_org("Digitaliseringsdirektoratet"), SCOPE)


def query(setup, vendor, **overrides):
    params = {
        "clientId": setup.client.client_id,
        "systemProviderOrgNo": vendor.orgno,
        "systemUserOwnerOrgNo": setup.owner_orgno,
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def test_it_finds_the_system_user_a_token_would_be_issued_for(client, setup, vendor, system, maskinporten_auth):
    response = client.get(URL, query(setup, vendor), HTTP_AUTHORIZATION=maskinporten_auth)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(setup.system_user.id)
    assert body["systemId"] == system.system_id
    assert body["reporteeOrgNo"] == setup.owner_orgno
    assert body["supplierOrgno"] == vendor.orgno
    assert body["externalRef"] == setup.owner_orgno
    assert body["userType"] == "standard"
    assert body["isDeleted"] is False
    assert set(body) == {
        "id",
        "integrationTitle",
        "systemId",
        "productName",
        "reporteeOrgNo",
        "created",
        "isDeleted",
        "supplierName",
        "supplierOrgno",
        "externalRef",
        "userType",
        "lastUsed",  # ours, not Altinn's (docs/vendor-api.md): when it last got a token
    }
    assert body["lastUsed"] is None


def test_a_wrong_external_ref_is_404(client, setup, vendor, maskinporten_auth):
    response = client.get(URL, query(setup, vendor, externalRef="other"), HTTP_AUTHORIZATION=maskinporten_auth)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "AUTH-00015"


def not_found(response) -> bool:
    """The documented 404: a problem+json with AUTH-00015 (the same whatever the reason, so nothing leaks)."""
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    return body["code"] == "AUTH-00015" and body["detail"] == "No matching system user."


def test_a_deleted_system_user_is_404(client, setup, vendor, maskinporten_auth):
    SystemUser.objects.filter(pk=setup.system_user.pk).update(is_deleted=True)
    assert not_found(client.get(URL, query(setup, vendor), HTTP_AUTHORIZATION=maskinporten_auth))


def test_a_purged_system_user_is_404(client, setup, vendor, maskinporten_auth, settings):
    days = settings.RETENTION_DELETED_SYSTEM_USER_DAYS + 1
    SystemUser.objects.filter(pk=setup.system_user.pk).update(
        is_deleted=True, deleted_at=timezone.now() - timedelta(days=days)
    )
    assert retention.delete_deleted_system_users().count == 1
    response = client.get(URL, query(setup, vendor), HTTP_AUTHORIZATION=maskinporten_auth)
    assert response.status_code == 404
    assert response.json()["code"] == "AUTH-00015"


def test_another_vendor_as_provider_is_404(client, setup, vendor, other_vendor, maskinporten_auth):
    response = client.get(
        URL, query(setup, vendor, systemProviderOrgNo=other_vendor.orgno), HTTP_AUTHORIZATION=maskinporten_auth
    )
    assert not_found(response)


def test_bad_parameters_are_a_validation_problem(client, setup, vendor, maskinporten_auth):
    response = client.get(
        URL, query(setup, vendor, clientId=None, systemUserOwnerOrgNo="123"), HTTP_AUTHORIZATION=maskinporten_auth
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "STD-00000"
    assert {e["paths"][0] for e in body["validationErrors"]} == {"/clientid", "/systemuserownerorgno"}


def test_without_a_token_it_is_401(client, setup, vendor):
    response = client.get(URL, query(setup, vendor))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_without_the_scope_it_is_403(client, setup, vendor):
    auth = bearer_for(vendor, "altinn:authentication/systemregister.write")
    assert client.get(URL, query(setup, vendor), HTTP_AUTHORIZATION=auth).status_code == 403


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_wrong_method_is_a_405_problem_with_allow_with_or_without_a_token(
    client, setup, vendor, maskinporten_auth, method
):
    # As the vendor API answers it: the method is refused before the token is looked at.
    for headers in ({}, {"HTTP_AUTHORIZATION": maskinporten_auth}):
        response = client.generic(method, URL, **headers)
        assert response.status_code == 405
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "HTTP-405" and response.json()["status"] == 405
        assert "GET" in response["Allow"].split(", ")
        assert "WWW-Authenticate" not in response


def test_its_problems_are_in_english_unless_asked_otherwise(client, setup, vendor):
    assert client.get(URL, query(setup, vendor)).json()["detail"] == "Authentication credentials were not provided."
    norsk = client.get(URL, query(setup, vendor), HTTP_ACCEPT_LANGUAGE="nb")
    assert norsk.json()["detail"] == "Manglende autentiseringsinformasjon."


def test_its_problems_have_the_vendor_apis_format(client, setup, vendor, maskinporten_auth):
    # One format for every problem under /authentication/api/v1/: RFC 9110 section types, the title of
    # the status, Altinn's code and a traceId; validation errors as the vendor API writes them.
    not_found = client.get(URL, query(setup, vendor, externalRef="other"), HTTP_AUTHORIZATION=maskinporten_auth)
    invalid = client.get(URL, query(setup, vendor, clientId=None), HTTP_AUTHORIZATION=maskinporten_auth)
    for response, status, title in ((not_found, 404, "Not Found"), (invalid, 400, "Bad Request")):
        body = response.json()
        assert body["type"] == f"https://datatracker.ietf.org/doc/html/rfc9110#status.{status}"
        assert (body["title"], body["status"]) == (title, status)
        assert len(body["traceId"]) == 32
    assert invalid.json()["validationErrors"] == [
        {
            "code": "AUTH.VLD-00000",
            "title": "clientId is required",
            "detail": "clientId is required",
            "paths": ["/clientid"],
        }
    ]


@pytest.mark.parametrize("language", ["en", "nn", "nb"])
def test_it_answers_with_the_system_user_json_of_the_vendor_api(
    client, setup, vendor, system, maskinporten_auth, language
):
    # One serializer (registry.api.serializers.SystemUserOut) for both look-ups, so Maskinporten and the
    # vendor get the same JSON; `productName` is the bokmål name whatever the caller's language (the
    # vendor API once gave the name in the language asked for, this look-up the bokmål one).
    system.name = {"nb": "Fakturering", "nn": "Fakturering nynorsk", "en": "Invoicing"}
    system.save(update_fields=["name"])
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    ours = client.get(URL, query(setup, vendor), HTTP_AUTHORIZATION=maskinporten_auth, **headers).json()
    params = {"system-id": system.system_id, "orgno": setup.owner_orgno}
    vendors = client.get(
        BASE + "systemuser/vendor/byquery",
        params,
        HTTP_AUTHORIZATION=bearer_for(vendor, "altinn:authentication/systemuser.request.write"),
        **headers,
    ).json()
    assert ours == vendors
    assert ours["productName"] == "Fakturering"

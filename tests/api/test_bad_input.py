"""Input no database or parser should see: NUL bytes, lone surrogates, deep nesting, bad UTF-8, huge bodies.

Each answers 400/413 in the problem format (PostgreSQL would otherwise fail on NUL with a 500).
"""

import pytest

from approvals.models import Request
from registry.models import RegisteredSystem
from tests.api.conftest import BASE, assert_problem, validation_codes


@pytest.mark.parametrize(
    "path",
    [
        "systemregister/a%00b",
        "systemregister/vendor/a%00b",
        "systemregister/vendor/a%00b/changelog",
        "systemuser/request/vendor/a%00b",
        "systemuser/request/vendor/bysystem/a%00b",
        "systemuser/request/vendor/byexternalref/a%00/b/c",
        "systemuser/vendor/bysystem/a%00b",
        "systemuser/changerequest/vendor/bysystem/a%00b",
        "systemuser/vendor/byquery?system-id=a%00&orgno=310000001",
    ],
)
def test_nul_in_a_path_or_query_is_a_validation_error(api, client, path):
    response = client.get(BASE + path, **api.headers)
    assert validation_codes(response) == ["STD.VLD-00001"]


def test_nul_and_lone_surrogates_in_a_body_are_validation_errors(api, system, customer):
    body = '{"systemId": "%s", "partyOrgNo": "%s", "externalRef": "a\\u0000b", "integrationTitle": "\\ud800"}'
    response = api.post("systemuser/request/vendor", body % (system.system_id, customer.orgno), raw=True)
    assert sorted(validation_codes(response)) == ["STD.VLD-00001", "STD.VLD-00001"]
    assert not Request.objects.exists()


def test_a_deeply_nested_body_is_400(api):
    assert_problem(api.post("systemregister/vendor", "[" * 100_000, raw=True), 400, "HTTP-400")


def test_a_body_that_is_not_utf8_is_400(api):
    assert_problem(api.post("systemregister/vendor", b'{"id": "\xff"}', raw=True), 400, "HTTP-400")
    assert not RegisteredSystem.objects.exists()


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "systemuser/request/vendor"),
        ("post", "systemuser/request/vendor/agent"),
        ("put", "systemregister/vendor/{id}/rights"),
        ("put", "systemregister/vendor/{id}"),
    ],
)
def test_one_megabyte_bodies_are_413_everywhere(api, system, method, path):
    body = '{"x": "%s"}' % ("a" * 1_000_000)
    response = getattr(api, method)(path.format(id=system.system_id), body, raw=True)
    assert_problem(response, 413, "HTTP-413")
    assert not Request.objects.exists()
    assert system.rights.count() == 1


def test_a_wrong_method_and_an_unacceptable_accept_header_are_problems(api, client):
    assert_problem(client.patch(BASE + "systemregister/vendor", **api.headers), 405, "HTTP-405")
    assert_problem(client.get(BASE + "systemregister/vendor", HTTP_ACCEPT="text/html", **api.headers), 406, "HTTP-406")


def test_messages_are_english_by_default_and_the_portals_language_is_left_alone(api, client):
    from django.utils import translation

    with translation.override("nb"):
        response = api.post("systemregister/vendor", {})
        assert translation.get_language() == "nb"
    assert "This field is required." in [e["detail"] for e in response.json()["validationErrors"]]
    norsk = client.post(
        BASE + "systemregister/vendor", "{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="nb", **api.headers
    )
    assert "Dette feltet er påkrevd." in [e["detail"] for e in norsk.json()["validationErrors"]]

"""Paths and methods the APIs do not have: a problem a vendor's program can parse, never the portal's HTML page."""

import pytest
from django.test import Client

from tests.api.conftest import BASE, assert_problem

UNKNOWN = [
    BASE + "nope",
    BASE + "systemregister/vendor/x/y/z",
    BASE + "systemuser/request/vendor/a/b/c/d/e",
    "/authentication/api/v1",
    "/authorization/api/v1/nope",
    "/authorization/api/v1/authorize/",
    "/authorization/api/v1/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", UNKNOWN)
def test_an_unknown_api_path_is_a_404_problem_for_every_method(client, method, path):
    response = getattr(client, method)(path)
    body = assert_problem(response, 404, "HTTP-404")
    assert body["title"] == "Not Found"
    assert len(body["traceId"]) == 32


@pytest.mark.django_db
def test_the_404_problem_quotes_the_callers_traceparent(client):
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = client.post(BASE + "nope", HTTP_TRACEPARENT=traceparent)
    assert assert_problem(response, 404, "HTTP-404")["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.django_db
def test_an_unknown_api_path_needs_no_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    assert_problem(strict.post(BASE + "nope", "{}", content_type="application/json"), 404, "HTTP-404")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/nope/", "/systemuser/nope/", "/authentication/"])
def test_an_unknown_portal_path_keeps_the_html_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_api_docs_page_without_its_slash_still_redirects(client):
    response = client.get(BASE + "docs")
    assert response.status_code == 301
    assert response["Location"] == BASE + "docs/"


@pytest.mark.django_db
def test_a_post_to_the_docs_page_is_405_not_a_csrf_page_or_500(client):
    assert client.post(BASE + "docs/").status_code == 405
    assert_problem(client.post(BASE + "docs"), 404, "HTTP-404")


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("delete", "systemregister", "GET"),
        ("patch", "systemregister/vendor", "GET, POST"),
        ("post", "systemregister/x_y/rights", "GET"),
        ("put", "systemuser/request/vendor", "POST"),
        ("post", "systemuser/changerequest/vendor/bysystem/x_y", "GET"),
    ],
)
def test_a_wrong_method_on_a_known_path_is_a_405_problem_with_or_without_a_token(api, anonymous, method, path, allowed):
    for caller in (api, anonymous):
        response = caller.client.generic(method.upper(), BASE + path, **caller.headers)
        assert_problem(response, 405, "HTTP-405")
        assert set(response["Allow"].split(", ")) >= set(allowed.split(", "))


def test_the_pdp_answers_a_wrong_method_with_its_405_problem(client):
    response = client.get("/authorization/api/v1/authorize")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "POST"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/jwk"),
        ("delete", "/jwk"),
        ("post", "/.well-known/oauth-authorization-server"),
        ("put", "/.well-known/oauth-authorization-server"),
        ("get", "/token"),
    ],
)
def test_token_server_paths_answer_a_wrong_method_with_405_and_allow(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] in {"GET", "POST"}


@pytest.mark.django_db
def test_an_unknown_well_known_path_is_a_plain_404(client):
    assert client.get("/.well-known/openid-configuration-nope").status_code == 404

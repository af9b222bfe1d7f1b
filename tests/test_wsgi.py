"""The WSGI entry point: hot paths run through a lean handler, the portal through the full stack."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections

from portal import wsgi


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # As Django's test client does: a real request would close the connection the test's
    # transaction lives on.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _call(
    path: str, method: str = "GET", body: bytes = b"", content_type: str = "", host: str = "127.0.0.1"
) -> tuple[str, dict, bytes]:
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        PATH_INFO=path,
        REQUEST_METHOD=method,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        HTTP_HOST=host,
        SERVER_NAME="127.0.0.1",
    )
    environ["wsgi.input"] = io.BytesIO(body)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    content = b"".join(wsgi.application(environ, start_response))
    return seen["status"], seen["headers"], content


@pytest.mark.django_db
def test_the_pdp_answers_through_the_lean_handler_with_a_content_length():
    status, headers, body = _call("/authorization/api/v1/authorize", "POST", b"{}", "application/json")
    assert status.startswith("401")
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Content-Length"] == str(len(body))
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers


@pytest.mark.django_db
def test_the_token_endpoint_answers_through_the_lean_handler():
    status, headers, body = _call("/token", "POST", b"grant_type=x", "application/x-www-form-urlencoded")
    assert status.startswith("400")
    assert b"unsupported_grant_type" in body or b"invalid_request" in body
    assert headers["Content-Length"] == str(len(body))


@pytest.mark.django_db
def test_portal_pages_keep_the_full_middleware_stack():
    status, headers, _ = _call("/login/")
    assert status.startswith("200")
    assert "Content-Security-Policy" in headers
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_an_unknown_path_next_to_the_pdp_is_a_404_problem_through_the_full_stack():
    status, headers, body = _call("/authorization/api/v1/authorize/", "POST", b"{}", "application/json")
    assert status.startswith("404")
    assert headers["Content-Type"] == "application/problem+json"
    assert b'"code": "HTTP-404"' in body
    assert "Content-Security-Policy" in headers

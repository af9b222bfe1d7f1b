"""The WSGI entry point: hot paths run through a lean handler, the portal through the full stack."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore

from maskinporten import grants
from portal.models import OidcSession
from registry.models import AuditEvent
from tests.wsgi_calls import call as _call
from tests.wsgi_calls import keep_the_test_connection  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("keep_the_test_connection")

# What tells the two chains apart: the portal's middleware adds its page policies, says which language
# it answered in, and makes caches tell answers apart by cookie and language; the lean handler does none
# of that (a machine-to-machine call has no session, no language and is never framed).
PORTAL_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "Vary")


def answered_by_the_lean_handler(headers: dict) -> bool:
    return not any(name in headers for name in PORTAL_HEADERS)


@pytest.mark.django_db
def test_the_pdp_answers_through_the_lean_handler_with_a_content_length():
    status, headers, body = _call("/authorization/api/v1/authorize", "POST", b"{}", "application/json")
    assert status.startswith("401")
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Content-Length"] == str(len(body))
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers
    assert answered_by_the_lean_handler(headers), headers


@pytest.mark.django_db
def test_the_token_endpoint_answers_through_the_lean_handler():
    status, headers, body = _call("/token", "POST", b"grant_type=x", "application/x-www-form-urlencoded")
    assert status.startswith("400")
    assert b"unsupported_grant_type" in body or b"invalid_request" in body
    assert headers["Content-Length"] == str(len(body))
    assert answered_by_the_lean_handler(headers), headers


@pytest.mark.django_db
def test_portal_pages_keep_the_full_middleware_stack():
    status, headers, _ = _call("/login/")
    assert status.startswith("200")
    assert "Content-Security-Policy" in headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "Cookie" in headers["Vary"] and headers["Content-Language"] == "nb"
    assert not answered_by_the_lean_handler(headers)


@pytest.mark.django_db
def test_an_unknown_path_next_to_the_pdp_is_a_404_problem_through_the_full_stack():
    status, headers, body = _call("/authorization/api/v1/authorize/", "POST", b"{}", "application/json")
    assert status.startswith("404")
    assert headers["Content-Type"] == "application/problem+json"
    assert b'"code": "HTTP-404"' in body
    assert "Content-Security-Policy" in headers


# --- The client address behind reverse proxies (PROXY_COUNT) ---

LOAD_BALANCER = "10.0.0.2"


def _refused_token_request_ip(**headers) -> str | None:
    """Make a refused token request from the load balancer; the IP its log line records."""
    # Patched on the logger object: the WSGI set-up configures logging again, dropping added handlers.
    with mock.patch.object(grants.logger, "info") as log:
        status, _, _ = _call("/token", "POST", b"x", "text/plain", remote_addr=LOAD_BALANCER, **headers)
    assert status.startswith("400")
    (call,) = log.call_args_list
    return call.kwargs["extra"]["token"]["ip"] or None


@pytest.mark.django_db
def test_behind_one_proxy_the_log_names_the_client(settings):
    settings.PROXY_COUNT = 1
    assert _refused_token_request_ip(HTTP_X_FORWARDED_FOR="203.0.113.7") == "203.0.113.7"


@pytest.mark.django_db
def test_entries_the_client_added_to_the_left_are_ignored(settings):
    settings.PROXY_COUNT = 1
    ip = _refused_token_request_ip(HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.66,203.0.113.7")
    assert ip == "203.0.113.7"


@pytest.mark.django_db
def test_behind_two_proxies_the_client_is_second_from_the_right(settings):
    settings.PROXY_COUNT = 2
    ip = _refused_token_request_ip(HTTP_X_FORWARDED_FOR="198.51.100.66, 2001:DB8:0::7, 10.0.0.9")
    assert ip == "2001:db8::7"


@pytest.mark.django_db
def test_a_header_with_fewer_entries_than_proxies_is_ignored(settings):
    settings.PROXY_COUNT = 2
    assert _refused_token_request_ip(HTTP_X_FORWARDED_FOR="203.0.113.7") == LOAD_BALANCER


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ["unknown", "203.0.113.7:4711", "<script>", "", "fe80::1%eth0", "203.0.113.300"])
def test_an_entry_that_is_not_an_ip_address_is_ignored(settings, entry):
    settings.PROXY_COUNT = 1
    assert _refused_token_request_ip(HTTP_X_FORWARDED_FOR=f"203.0.113.7, {entry}") == LOAD_BALANCER


@pytest.mark.django_db
def test_without_proxies_the_header_is_ignored(settings):
    settings.PROXY_COUNT = 0
    assert _refused_token_request_ip(HTTP_X_FORWARDED_FOR="203.0.113.7") == LOAD_BALANCER


@pytest.mark.django_db
def test_the_portal_audits_the_client_address_too(settings, manager):
    # Front-channel logout goes through the full middleware stack and audits each session it ends.
    settings.PROXY_COUNT, settings.OIDC_ENABLED, settings.OIDC_ISSUER = 1, True, "https://idporten.example"
    session = SessionStore()
    session.create()
    OidcSession.objects.create(sid="sid-1", session_key=session.session_key, person=manager)
    status, _, _ = _call(
        "/login/oidc/frontchannel-logout/", remote_addr=LOAD_BALANCER, HTTP_X_FORWARDED_FOR="203.0.113.7",
        QUERY_STRING="iss=https://idporten.example&sid=sid-1",
    )  # fmt: skip
    assert status.startswith("200")
    assert AuditEvent.objects.get(action="person.logout").ip == "203.0.113.7"

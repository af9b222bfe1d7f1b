"""Issue 18, items 4 and 6: /token answers every request in OAuth's format, and garbage is rate-limited.

A body in another charset (`latin1`, `utf-16`, one Python does not know) gave a 500 in development and
the portal's HTML 400 in production. And every refused post wrote an audit row kept for years, without
limit (anonymous refusals now write none, maskinporten/grants.py): /token is also limited per client id
and per address (Redis in production), with a 429 in OAuth's format and Retry-After, far above honest
use, so garbage costs the platform little.
"""

import json
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from prometheus_client import REGISTRY

from maskinporten.grants import GRANT_TYPE
from registry.models import AuditEvent
from tests.maskinporten.helpers import good_claims, grant_setup, raw_jws
from tests.wsgi_calls import call, keep_the_test_connection  # noqa: F401 (a fixture)

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def http():
    return Client(raise_request_exception=False)  # a 500 must show as the response a caller gets


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "content_type, body",
    [
        (f"{FORM}; charset=latin1", "grant_type=x&assertion=\xe6\xf8\xe5".encode("latin1")),
        (f"{FORM}; charset=utf-16", "grant_type=x&assertion=y".encode("utf-16")),
        (f"{FORM}; charset=no-such-charset", b"grant_type=x&assertion=y"),
        (f"{FORM}; charset=utf-8", b"grant_type=x&assertion=\xff\xfe"),
    ],
)
def test_any_charset_gets_the_oauth_error(db, http, settings, content_type, body):
    before = refused("invalid_request") + refused("unsupported_grant_type")
    for debug in (True, False):
        settings.DEBUG = debug
        response = http.generic("POST", "/token", data=body, content_type=content_type)
        assert response.status_code == 400, response.content[:300]
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] in {"invalid_request", "unsupported_grant_type"}
    assert refused("invalid_request") + refused("unsupported_grant_type") == before + 2  # counted as any refusal


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("keep_the_test_connection")
def test_the_lean_production_handler_answers_a_utf16_body_in_oauth_json(settings):
    settings.DEBUG = False
    body = "grant_type=x&assertion=y".encode("utf-16")
    status, headers, content = call("/token", "POST", body, f"{FORM}; charset=utf-16")
    assert status.startswith("400") and headers["Content-Type"] == "application/json"
    assert json.loads(content)["error"] == "invalid_request"


def refused(error: str) -> float:
    return REGISTRY.get_sample_value("systembruker_tokens_refused_total", {"error": error}) or 0


def garbage(http, ip="198.51.100.7", **claims):
    assertion = "x.y.z" if not claims else raw_jws({"alg": "RS256", "kid": "k"}, json.dumps(claims))
    data = urlencode({"grant_type": GRANT_TYPE, "assertion": assertion})
    return http.post("/token", data=data, content_type=FORM, REMOTE_ADDR=ip)


def assert_slow_down(response):
    assert response.status_code == 429, response.content
    assert response.json()["error"] == "slow_down" and set(response.json()) == {"error", "error_description"}
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    assert refused("slow_down") > 0


def test_too_many_posts_from_one_address_get_429_and_write_no_more_rows(db, http, settings):
    settings.TOKEN_RATE_PER_ADDRESS = 3
    for _ in range(3):
        assert garbage(http).status_code == 400
    rows = AuditEvent.objects.count()
    for _ in range(5):
        assert_slow_down(garbage(http))
    assert AuditEvent.objects.count() == rows
    assert garbage(http, ip="198.51.100.8").status_code == 400  # another address is not held up


def test_too_many_refusals_from_one_address_get_429_before_the_volume_limit(db, http, settings):
    settings.TOKEN_REFUSALS_PER_ADDRESS = 4
    for _ in range(4):
        assert garbage(http).status_code == 400
    rows = AuditEvent.objects.count()
    assert_slow_down(garbage(http))
    assert AuditEvent.objects.count() == rows


def test_too_many_posts_for_one_client_id_get_429_from_any_address(db, http, settings):
    settings.TOKEN_RATE_PER_CLIENT = 2
    for i in range(2):
        assert garbage(http, ip=f"203.0.113.{i}", iss="client-fakturering").status_code == 400
    assert_slow_down(garbage(http, ip="203.0.113.9", iss="client-fakturering"))
    assert garbage(http, ip="203.0.113.9", iss="another-client").status_code == 400


@pytest.mark.parametrize("iss", [42, ["client-fakturering"], None])
def test_a_grant_whose_issuer_is_no_text_is_refused_and_counted_for_no_client(db, http, settings, iss):
    settings.TOKEN_RATE_PER_CLIENT = 1
    for _ in range(2):
        response = garbage(http, iss=iss, sub="client-fakturering")
        assert response.status_code == 400, response.content
        assert response.json()["error"] == "invalid_grant"


def test_honest_use_is_not_limited_by_default(db, http, vendor, customer, system, settings):
    assert settings.TOKEN_RATE_PER_CLIENT >= 1000 and settings.TOKEN_RATE_PER_ADDRESS >= 1000
    setup = grant_setup(vendor, customer, system)
    for _ in range(5):
        response = setup.post(http, raw_jws({"alg": "RS256", "kid": setup.kid}, json.dumps(good_claims(setup))))
        assert response.status_code == 200, response.content

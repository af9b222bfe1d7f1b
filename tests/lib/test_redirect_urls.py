"""The one redirect-URL rule (lib/redirect_urls.py): what may be registered, what matches, and the
loopback exception of the embedded default."""

import pytest

from lib.errors import ServiceError
from lib.redirect_urls import check_redirect_url, is_redirect_url, redirect_allowed

ALLOWED = ["https://vendor.example/callback"]


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True


@pytest.fixture
def development(settings):
    settings.PRODUCTION = False


@pytest.mark.parametrize(
    "url",
    [
        "https://vendor.example/callback",
        "https://vendor.example:8443/callback?x=1",
        "https://xn--bkeri-qra.example/",
        "https://[2001:db8::1]/cb",
    ],
)
def test_an_absolute_https_url_is_a_redirect_url(url):
    assert is_redirect_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://vendor.example/callback",
        "/callback",
        "//vendor.example/callback",
        "https:///callback",
        "javascript:alert(1)//vendor.example/callback",
        "https://vendor.example@evil.example/callback",
        "https://vendor.example/callback#done",
        "https://vendor.example/call back",
        "https://vendor.example\\@evil.example/",
        "https://vendor.example/\tcallback",
        "https://vendor.example/\x01callback",
        "https://vendor.example:99999/callback",
        "https://vendor.example:port/callback",
        "https://vendor.example/?" + "a" * 2000,
    ],
)
def test_anything_else_is_not(url):
    assert not is_redirect_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://vendor.example/callback",
        "https://vendor.example/callback?state=42",
        "https://VENDOR.Example/callback",
        "https://vendor.example:443/callback",
    ],
)
def test_scheme_host_port_and_path_must_match_and_the_query_may_differ(url):
    assert redirect_allowed(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "http://vendor.example/callback",
        "https://vendor.example:8443/callback",
        "https://vendor.example/Callback",
        "https://vendor.example/callback/",
        "https://vendor.example./callback",
        "https://vendor.example.evil.example/callback",
        "https://evil.example@vendor.example/callback",
        "https://vendor.example/callback#x",
    ],
)
def test_a_url_that_only_looks_allowed_does_not_match(url):
    assert not redirect_allowed(url, ALLOWED)


def test_an_allowed_entry_that_is_no_redirect_url_matches_nothing():
    assert not redirect_allowed("https://vendor.example/callback", ["https://vendor.example/callback#x"])
    assert not redirect_allowed("http://vendor.example/callback", ["http://vendor.example/callback"])
    assert not redirect_allowed("https://vendor.example/callback", [])


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/systemuser/", "http://127.8.9.10/cb", "http://[::1]:3000/cb"])
def test_outside_production_plain_http_to_a_loopback_address_is_allowed(development, url):
    assert is_redirect_url(url)
    assert redirect_allowed(url, [url.split("?")[0]])


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/cb", "http://10.0.0.1/cb", "http://127.0.0.1.evil.example/cb", "ftp://127.0.0.1/"]
)
def test_only_a_loopback_ip_literal_gets_the_exception(development, url):
    assert not is_redirect_url(url)


def test_in_production_plain_http_is_never_a_redirect_url(production):
    assert not is_redirect_url("http://127.0.0.1:8000/systemuser/")
    assert not redirect_allowed("http://127.0.0.1:8000/systemuser/", ["http://127.0.0.1:8000/systemuser/"])
    assert is_redirect_url("https://127.0.0.1/cb")


def test_the_default_port_of_http_is_80(development):
    assert redirect_allowed("http://127.0.0.1:80/cb", ["http://127.0.0.1/cb"])
    assert not redirect_allowed("http://127.0.0.1:443/cb", ["http://127.0.0.1/cb"])


@pytest.mark.parametrize(
    ("url", "allowed", "code"),
    [
        ("https://vendor.example/callback", [], "AUTH-00026"),
        ("https://vendor.example/other", ALLOWED, "AUTH-00021"),
        ("http://vendor.example/callback", ALLOWED, "AUTH-00021"),
    ],
)
def test_a_request_s_redirect_url_is_refused_with_altinn_s_codes(url, allowed, code):
    with pytest.raises(ServiceError) as refused:
        check_redirect_url(url, allowed)
    assert refused.value.code == code and refused.value.status == 400
    assert (
        refused.value.detail
        == {
            "AUTH-00026": "The system has no allowed redirect URLs",
            "AUTH-00021": "The redirect URL does not match one of the system's allowed URLs",
        }[code]
    )


def test_the_longest_redirect_url_is_2000_characters():
    url = "https://vendor.example/callback?"
    assert redirect_allowed(url + "a" * (2000 - len(url)), ALLOWED)
    assert not redirect_allowed(url + "a" * (2001 - len(url)), ALLOWED)


def test_no_path_is_the_path_slash():
    assert redirect_allowed("https://vendor.example", ["https://vendor.example/"])
    assert redirect_allowed("https://vendor.example/?x=1", ["https://vendor.example"])


def test_without_a_production_setting_the_rule_is_productions(settings):
    del settings.PRODUCTION  # a settings module that does not say: the strict rule, https only
    assert not is_redirect_url("http://127.0.0.1:8000/systemuser/")


def test_a_request_without_a_redirect_url_needs_none():
    check_redirect_url("", [])
    check_redirect_url("https://vendor.example/callback?state=1", ALLOWED)

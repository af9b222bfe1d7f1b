"""The redirect-URL rule (CONTRACT §2.2), as a function: a request's redirect URL must have the scheme,
host, port and path of one of the system's allowed URLs; only the query may differ. The API tests
(tests/api/test_requests.py) show the same rule as AUTH-00021 answers; these reach the corners the API's
own validation stops before (the length limit, control characters)."""

import pytest

from approvals.system_user_requests import redirect_allowed

ALLOWED = ["https://vendor.example/callback", "https://app.vendor.example"]


@pytest.mark.parametrize(
    "url",
    [
        "https://vendor.example/callback",
        "https://vendor.example/callback?state=42&x=%20",
        "https://VENDOR.example/callback",
        "https://vendor.example:443/callback",
        "https://app.vendor.example/",  # no path and "/" are the same path
        "https://app.vendor.example?state=1",
        "https://vendor.example/callback?" + "a" * (2000 - len("https://vendor.example/callback?")),
    ],
)
def test_the_same_scheme_host_port_and_path_is_allowed(url):
    assert redirect_allowed(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "https://vendor.example/callback?" + "a" * (2001 - len("https://vendor.example/callback?")),
        "http://vendor.example/callback",
        "https://vendor.example:8443/callback",
        "https://vendor.example:444/callback",
        "https://vendor.example:99999/callback",  # no port at all: the parser refuses it
        "https://vendor.example/callback2",
        "https://vendor.example/",
        "https://vendor.example/callback#fragment",
        "https://vendor.example@evil.example/callback",
        "https://evil.example@vendor.example/callback",
        "https://@vendor.example/callback",
        "https://vendor.example/call back",
        "https://vendor.example/callback\\..\\admin",
        # White space and backslashes are refused even where the rest would match: parsers disagree on them.
        " https://vendor.example/callback",
        "https://vendor.example/callback\t",
        "https://vendor.example/callback?state=a b",
        "https://vendor.example/callback?next=\\\\evil.example",
        "https://vendor.example/callback\x01",
        "https://vendor.example/callback\x1f",
        "https:///callback",
        "//vendor.example/callback",
        "",
    ],
)
def test_anything_else_is_refused(url):
    assert not redirect_allowed(url, ALLOWED)


def test_a_url_the_rule_refuses_is_refused_even_when_it_is_listed_as_allowed():
    # Two refused URLs are not "the same URL": a system whose list holds an http URL allows none such.
    assert not redirect_allowed("http://vendor.example/callback", ["http://vendor.example/callback"])
    assert not redirect_allowed("https://vendor.example/callback#x", ["https://vendor.example/callback#x"])


def test_no_allowed_urls_allow_nothing():
    assert not redirect_allowed("https://vendor.example/callback", [])

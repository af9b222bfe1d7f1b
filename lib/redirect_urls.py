"""The redirect-URL rule: where we may send a person's browser back to the vendor (CONTRACT §2.1, §2.2).

One rule for every place that meets such a URL: a system's `allowedRedirectUrls` when it is registered
(AUTH.VLD-00005), a request's or change request's `redirectUrl` (AUTH-00021), and the redirect after
the business decides, checked again against the system's list of that moment.

A redirect URL is absolute `https` with a host, and has no user-info (`https://good@evil/` reads as
good to a person and goes to evil), no fragment, no white space, backslash or control character
(browsers and URL parsers disagree about them, which is how open-redirect checks are fooled) and at
most 2000 characters. A URL is allowed when its scheme, host (any case), port (the scheme's default
when absent) and path equal one allowed URL's; only the query may differ.

One exception, for the embedded default that runs on plain HTTP at 127.0.0.1: outside production
mode, `http` to a loopback address (127.0.0.0/8, ::1) is a redirect URL too, so the demo's own
`http://127.0.0.1:8000/systemuser/` works. The browser never leaves the person's machine (RFC 8252
§7.3 allows the same for native apps; §8.3 advises the IP literal over `localhost`, and so do we). In
production mode (`SYSTEMBRUKER_MODE=production`) only https counts, as Altinn's rule.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings

from lib.errors import ServiceError

MAX_LENGTH = 2000
_DEFAULT_PORTS = {"https": 443, "http": 80}
_REFUSED = re.compile(r"[\s\\\x00-\x1f\x7f]")


def _key(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path) of a redirect URL, or None for anything we will not redirect to."""
    if not isinstance(url, str) or len(url) > MAX_LENGTH or _REFUSED.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if not parts.hostname or "@" in parts.netloc or parts.fragment or not _scheme_allowed(parts.scheme, parts.hostname):
        return None
    return parts.scheme, parts.hostname, _DEFAULT_PORTS[parts.scheme] if port is None else port, parts.path or "/"


def _scheme_allowed(scheme: str, host: str) -> bool:
    if scheme == "https":
        return True
    return scheme == "http" and not getattr(settings, "PRODUCTION", True) and _is_loopback(host)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an IP literal
        return False


def is_redirect_url(url: str) -> bool:
    """May this URL be one of a system's allowed redirect URLs (else AUTH.VLD-00005)?"""
    return _key(url) is not None


def redirect_allowed(url: str, allowed: list[str]) -> bool:
    """Is `url` a redirect URL whose scheme, host, port and path equal one of `allowed`'s?"""
    key = _key(url)
    return key is not None and any(key == _key(candidate) for candidate in allowed or ())


def check_redirect_url(url: str, allowed: list[str]) -> None:
    """A request's or change request's `redirectUrl` against its system's list (no URL is fine).

    Raises AUTH-00026 when the system allows none, AUTH-00021 when `url` matches none of them.
    """
    if not url:
        return
    if not allowed:
        raise ServiceError("AUTH-00026", "The system has no allowed redirect URLs")
    if not redirect_allowed(url, allowed):
        raise ServiceError("AUTH-00021", "The redirect URL does not match one of the system's allowed URLs")

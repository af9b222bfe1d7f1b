"""WSGI entry point. The two hot paths (token endpoint, PDP) run through a lean Django handler.

`/token` and `/authorization/api/v1/authorize` are machine-to-machine JSON endpoints with their own
bearer/grant checks: they use no session, user, CSRF token, messages, language or htmx, so the
portal's middleware stack is pure cost there (about a third of a PDP call's CPU in-process). They get
the same Django, settings, URLs and views, with only SecurityMiddleware (nosniff, HSTS, SSL redirect)
and CommonMiddleware (Content-Length). The health probes `/healthz` and `/readyz` are answered before
Django's request handling altogether (config/health.py), and so is `/metrics` (config/metrics.py).

Behind reverse proxies (PROXY_COUNT > 0) the client address is taken from X-Forwarded-For here, once,
so that everything reading REMOTE_ADDR (the ip of audit events, the metrics allow-list)
sees the client and not the load balancer.

HOT_PATHS are exact strings. `/token` stands in for Maskinporten's endpoint, which is no ASP.NET route:
it stays exact. The PDP's route, like the vendor API's, matches in any case as Altinn's ASP.NET routing
does (lib/routing.py); a casing other than the documented one is answered by the full stack, the
same answer, only slower.
"""

import ipaddress
import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from config import health, metrics
from lib import arrival, logs
from lib.metrics import count_vendor_api_response
from lib.tokens import keys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

HOT_PATHS = frozenset({"/token", "/authorization/api/v1/authorize"})
PLAIN_PATHS = {**health.PATHS, "/metrics": metrics.scrape}
VENDOR_API_PREFIX = "/authentication/api/v1/"
HOT_PATH_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",  # sets Content-Length, which keep-alive clients need
]


class LeanHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; swap it only while this handler loads.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = HOT_PATH_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


portal_application = get_wsgi_application()
hot_path_application = LeanHandler()

# The web processes sign tokens: a bad key file stops them at start, not at the first token request.
# (Workers, beat and manage.py never read the keys; lib/tokens/keys.py reloads them when they change.)
for ring in keys.RINGS:
    if getattr(settings, ring.files_setting):
        ring.signing_keys()


def client_address(forwarded_for: str, proxy_count: int) -> str | None:
    """The address `proxy_count` places from the right of X-Forwarded-For, or None.

    Each trusted proxy appends the address it was called from, so the entries to the left of that one
    are whatever the client chose to send: never trusted. An entry that is not an IP address is ignored.
    """
    entries = forwarded_for.split(",")
    if len(entries) < proxy_count:
        return None
    try:
        address = ipaddress.ip_address(entries[-proxy_count].strip())
    except ValueError:
        return None
    if getattr(address, "scope_id", None):  # fe80::1%eth0: not an address the audit log can store
        return None
    return str(address)


def _count_vendor_api_response(start_response):
    def counting_start_response(status, headers, exc_info=None):
        count_vendor_api_response(status)
        return start_response(status, headers, exc_info)

    return counting_start_response


def application(environ, start_response):
    proxy_count = settings.PROXY_COUNT
    arrival.note(environ, behind_proxy=proxy_count > 0)
    if proxy_count:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        address = client_address(forwarded, proxy_count) if forwarded else None
        if address is not None:
            environ["REMOTE_ADDR"] = address
    path = environ.get("PATH_INFO", "")
    token = logs.current_environ.set(environ)
    try:
        if path in HOT_PATHS:
            return hot_path_application(environ, start_response)
        if path in PLAIN_PATHS:  # before Django's host check and SSL redirect (config/health.py)
            return PLAIN_PATHS[path](environ, start_response)
        if path[: len(VENDOR_API_PREFIX)].lower() == VENDOR_API_PREFIX:  # routes match in any case (lib/routing.py)
            start_response = _count_vendor_api_response(start_response)
        return portal_application(environ, start_response)
    finally:
        logs.current_environ.reset(token)

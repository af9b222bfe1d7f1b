"""WSGI entry point. The two hot paths (token endpoint, PDP) run through a lean Django handler.

`/token` and `/authorization/api/v1/authorize` are machine-to-machine JSON endpoints with their own
bearer/grant checks: they use no session, user, CSRF token, messages, language or htmx, so the
portal's middleware stack is pure cost there (about a third of a PDP call's CPU in-process). They get
the same Django, settings, URLs and views, with only SecurityMiddleware (nosniff, HSTS, SSL redirect)
and CommonMiddleware (Content-Length). The health probes `/healthz` and `/readyz` are answered before
Django's request handling altogether (portal/health.py).
"""

import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from portal import health

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

HOT_PATHS = frozenset({"/token", "/authorization/api/v1/authorize"})
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


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path in HOT_PATHS:
        return hot_path_application(environ, start_response)
    if path in health.PATHS:  # probes: before Django's host check and SSL redirect (portal/health.py)
        return health.PATHS[path](environ, start_response)
    return portal_application(environ, start_response)

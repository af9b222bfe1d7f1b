"""`any_case_path()` and `any_case_re_path()`: `path()` and `re_path()` for the API routes Altinn serves
from ASP.NET, whose routing matches the fixed segments of a path without regard to case
(`/authentication/api/v1/systemuser/byexternalid` is answered there). Path parameters keep their exact
value: a system id differing only in case is another system.

Only ASCII letters fold (`re.ASCII`): Python's IGNORECASE would otherwise let the Kelvin sign match `k`.
The flag is on the compiled pattern, not inline (`(?i)`), because `reverse()` reads the pattern's text:
so `reverse()` and the OpenAPI schema keep the route as written, in its canonical casing.
"""

import re

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ANY_CASE = re.IGNORECASE | re.ASCII


class AnyCaseRoutePattern(RoutePattern):
    def __init__(self, route, name=None, is_endpoint=False):
        super().__init__(route, name=name, is_endpoint=is_endpoint)
        self.regex = re.compile(self.regex.pattern, _ANY_CASE)

    def match(self, path):
        # RoutePattern compares a route without parameters as a string; here every route goes by the regex.
        found = self.regex.search(path)
        if found is None:
            return None
        kwargs = found.groupdict()
        for key, value in kwargs.items():
            try:
                kwargs[key] = self.converters[key].to_python(value)
            except ValueError:
                return None
        return path[found.end() :], (), kwargs


class AnyCaseRegexPattern(RegexPattern):
    def __init__(self, regex, name=None, is_endpoint=False):
        super().__init__(regex, name=name, is_endpoint=is_endpoint)
        self.regex = re.compile(regex, _ANY_CASE)


def any_case_path(route: str, view, name: str | None = None):
    """As django.urls.path(route, view, name=name), for a view or an include()."""
    if isinstance(view, list | tuple):
        urlconf_module, app_name, namespace = view
        return URLResolver(AnyCaseRoutePattern(route), urlconf_module, app_name=app_name, namespace=namespace)
    return URLPattern(AnyCaseRoutePattern(route, name=name, is_endpoint=True), view, name=name)


def any_case_re_path(regex: str, view):
    """As django.urls.re_path(regex, view) for a view."""
    return URLPattern(AnyCaseRegexPattern(regex, is_endpoint=True), view)

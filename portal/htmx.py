"""Fragment or whole page, decided once for every portal page that answers htmx with a part of itself.

The same URL answers a live search (or a confirmation opened in place) with a fragment and a browser
with the whole page, so the response varies on the request headers that choose (caches must tell the
two apart), and a history restore (back button after a live search: htmx asks for the URL again with
`HX-History-Restore-Request`) always gets the whole page.
"""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request, target: str | None = None) -> bool:
    """An htmx request that is not a history restore (and aims at `target`, when given)."""
    htmx = request.htmx
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def partial_or_page(request, page: str, partial: str, context: dict, *, target: str | None = None, status=200):
    """Render `partial` (a template or `template#partialdef`) for htmx, else `page`; see wants_fragment."""
    template = partial if wants_fragment(request, target) else page
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"] if target else ["HX-Request"])
    return response

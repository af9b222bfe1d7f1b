"""Resolves who is logged in (request.person) and whom they act for (request.actor), on every request.

The actor is re-checked against the current register each time (portal.actor.resolve_actor), so a
role removed a second ago stops the person acting for that organisation at once.
"""

from django.core.exceptions import SuspiciousOperation

from lib.unstorable import unstorable
from portal.actor import ACTOR_SESSION_KEY, resolve_actor
from registry.models import Person

__all__ = ["ACTOR_SESSION_KEY", "ActorMiddleware", "RefuseNulMiddleware"]


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.person = None
        request.actor = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.person = Person.objects.filter(user=user).first()
            if request.person is not None:
                request.actor = resolve_actor(request)
        return self.get_response(request)


class NulInRequest(SuspiciousOperation):
    """Django answers it with the 400 page (and logs it on django.security)."""


class RefuseNulMiddleware:
    """A NUL in the path or a parameter of a portal page is a bad request (400), not a 500.

    PostgreSQL stores no NUL, so a search box, a form field or a path segment with one made the query
    fail. Refused once here rather than in every view. The APIs, the token endpoint and the PDP are
    CSRF-exempt and refuse such input themselves, in their own error formats; their bodies are not
    read here. For a CSRF-protected POST the CSRF check has already parsed the form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "csrf_exempt", False):
            return None
        params = [request.GET] + ([request.POST] if request.method == "POST" else [])
        texts = [request.path] + [text for query in params for key, values in query.lists() for text in (key, *values)]
        if any(unstorable(text) for text in texts):
            raise NulInRequest("NUL in the request path or parameters")
        return None

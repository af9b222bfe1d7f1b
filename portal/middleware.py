"""Resolves who is logged in (request.person) and whom they act for (request.actor), on every request.

The actor is re-checked against the current register each time (portal.actor.resolve_actor), so a
role removed a second ago stops the person acting for that organisation at once.
"""

from portal.actor import ACTOR_SESSION_KEY, resolve_actor
from registry.models import Person

__all__ = ["ACTOR_SESSION_KEY", "ActorMiddleware"]


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

"""Resolves who is logged in (request.person) and whom they act for (request.actor), on every request.

The actor is re-checked against the current register each time, so a role removed a second ago
stops the person acting for that organisation at once.
"""

from registry import access
from registry.models import Organisation, Person

ACTOR_SESSION_KEY = "actor_orgno"


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.person = None
        request.actor = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.person = Person.objects.filter(user=user).first()
            orgno = request.session.get(ACTOR_SESSION_KEY)
            if request.person is not None and orgno:
                org = Organisation.objects.filter(orgno=orgno).first()
                if access.may_act_for(request.person, org):
                    request.actor = org
                else:
                    request.session.pop(ACTOR_SESSION_KEY, None)
        return self.get_response(request)

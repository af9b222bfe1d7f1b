"""Whom the logged-in person acts for: kept in the session, re-checked against the register on every request.

Other capabilities use `switch_actor` (e.g. an approval link switching to the request's organisation)
and `actor_required` (pages that need a chosen organisation); nobody writes the session key by hand.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from registry import access
from registry.models import Organisation, Person

ACTOR_SESSION_KEY = "actor_orgno"


def authority(request, org: Organisation | None = None) -> access.Authority:
    """What the logged-in person may do for `org` (default: the organisation acted for), read from the
    register once per request however often the page asks (the actor check, the page, its forms)."""
    org = getattr(request, "actor", None) if org is None else org
    person: Person | None = getattr(request, "person", None)
    cache = request.__dict__.setdefault("_authorities", {})
    key = (getattr(person, "pk", None), getattr(org, "pk", None))
    if key not in cache:
        cache[key] = access.Authority(person, org)
    return cache[key]


def switch_actor(request, org: Organisation | None) -> bool:
    """Act for `org` from now on if the logged-in person may act for it; False (and no change) if not."""
    if not authority(request, org).may_act_for:
        return False
    if request.session.get(ACTOR_SESSION_KEY) != org.orgno:
        request.session[ACTOR_SESSION_KEY] = org.orgno
    request.actor = org
    return True


def clear_actor(request) -> None:
    request.session.pop(ACTOR_SESSION_KEY, None)
    request.actor = None


def resolve_actor(request) -> Organisation | None:
    """The organisation in the session, if the person (still) may act for it; otherwise forget it.

    Authority is read from the current register, never trusted from the session: a role removed a
    second ago ends the acting at the next request, with a notice saying so.
    """
    orgno = request.session.get(ACTOR_SESSION_KEY)
    if not orgno:
        return None
    org = Organisation.objects.filter(orgno=orgno).first()
    if org is not None and authority(request, org).may_act_for:
        return org
    request.session.pop(ACTOR_SESSION_KEY, None)
    name = org.name if org is not None else orgno
    messages.warning(
        request,
        _("Du kan ikke lenger representere %(name)s. Velg en annen virksomhet.") % {"name": name},
    )
    return None


def actor_page_url(next_url: str = "") -> str:
    url = reverse("portal:actor")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def actor_required(view):
    """Log in first, then choose an organisation; both come back to this page afterwards."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.person is None:
            return redirect_to_login(request.get_full_path())
        if request.actor is None:
            return redirect(actor_page_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper

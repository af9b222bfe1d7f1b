"""Who may see a portal page, and the portal's look-ups.

Every page that needs a logged-in person is behind `person_required` (login, then back through
?next=; an account with no person behind it gets the no-person page), and every page that needs an
organisation behind `actor_required` (the same, then acting for an organisation: a person with exactly
one acts for it at once, others choose on the act-for page and come back).

The look-ups return the object a page is about, if the logged-in person may see or change it for the
organisation acted for; otherwise an exception the page answers with (zulip's `access_*` style):
`NeedRights` becomes the need-rights page under `actor_required`. Authority comes from
`portal.actor.authority`: read from the register once per request, however many checks the page, its
template and its forms make.
"""

import uuid
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.defaults import page_not_found

from portal.actor import act_for_the_only_one, actor_page_url, authority
from registry.models import SystemUser, SystemUserType

VIEW = "view"  # see it: access manager, or client administrator for a system access for clients
MANAGE = "manage"  # delete it: access manager
CLIENTS = "clients"  # add or remove its clients: client administrator, agent system accesses only


class NeedRights(PermissionDenied):
    """The person may not do this for the organisation acted for: the need-rights page (403), which
    names the package to ask for (`need`: "client_admin", or "" for access manager)."""

    def __init__(self, need: str = ""):
        super().__init__(need or "access manager")
        self.need = need


def person_required(view):
    """Logged in (else the login page, then back), as a person: an account with no person behind it
    (operator staff) gets the no-person page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.person is None:
            return render(request, "portal/no_person.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def actor_required(view):
    """`person_required`, and acting for an organisation: the person's only one at once, else the
    act-for page and back. A look-up that finds the person lacks the authority (NeedRights) gets the
    need-rights page; one that finds nothing (a deleted system access's link, another organisation's)
    the portal's own 404 page (templates/404.html), with DEBUG on too, where Django would show its
    technical page."""

    @person_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.actor is None and not act_for_the_only_one(request):
            return redirect(actor_page_url(request.get_full_path()))
        try:
            return view(request, *args, **kwargs)
        except NeedRights as refused:
            return render(request, "portal/systemusers/need_rights.html", {"need": refused.need}, status=403)
        except Http404 as missing:
            return page_not_found(request, missing)

    return wrapped


def access_system_user(request, pk: uuid.UUID, *, may: str | None = VIEW) -> SystemUser:
    """A live system access of the organisation acted for, with what its pages show prefetched.

    Http404 when the organisation has no such system access (another organisation's, a deleted one,
    or — for CLIENTS — a standard one answers the same, so none leaks); NeedRights when the person
    lacks the authority `may` needs (None: the look-up only; the service decides).
    """
    if may == CLIENTS:
        system_users = SystemUser.objects.for_overview(request.actor).filter(user_type=SystemUserType.AGENT)
    else:
        system_users = SystemUser.objects.for_details(request.actor)
    system_user = system_users.filter(pk=pk).first()
    if system_user is None:
        raise Http404("System access not found")
    rights = authority(request)
    is_agent = system_user.user_type == SystemUserType.AGENT
    if may == MANAGE and not rights.is_access_manager:
        raise NeedRights()
    if may == VIEW and not (rights.is_access_manager or (is_agent and rights.is_client_admin)):
        raise NeedRights()
    if may == CLIENTS and not rights.is_client_admin:
        raise NeedRights("client_admin")
    return system_user

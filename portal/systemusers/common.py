"""What the system-access views share: the actor requirement and grants in plain words (portal.words)."""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from portal.access import NeedRights
from portal.words import ACTIONS, action_word


def _rank(order: list[str], action: str) -> int:
    return order.index(action) if action in order else len(order)


@dataclass
class Grant:
    """One package or single right, in plain words: its name and what it lets the system do."""

    kind: str  # "package" or "right"
    name: str
    allows: list[str] = field(default_factory=list)
    package: str = ""
    resource: str = ""
    action: str = ""


def package_grant(package) -> Grant:
    """A package and the services in our catalog it gives access to (needs policy_rules prefetched)."""
    by_resource: dict[str, tuple[str, list[str]]] = {}
    order = list(ACTIONS)
    rules = sorted(package.policy_rules.all(), key=lambda r: (r.resource_id, _rank(order, r.action)))
    for rule in rules:
        by_resource.setdefault(rule.resource_id, (rule.resource.title, []))[1].append(action_word(rule.action))
    allows = [f"{title} ({', '.join(words)})" for title, words in by_resource.values()]
    return Grant("package", package.name, allows, package=package.code)


def right_grant(right) -> Grant:
    """A single right on a resource (SystemRight or SystemUserRight, with resource selected)."""
    resource = right.resource
    owner = f" – {resource.owner_name}" if resource.owner_name else ""
    allows = [_("Kan %(what)s i %(title)s") % {"what": action_word(right.action), "title": resource.title}]
    return Grant("right", f"{resource.title}{owner}", allows, resource=resource.id, action=right.action)


def actor_required(view):
    """Logged in as a person who acts for an organisation; otherwise off to log in or choose one. A
    look-up that finds the person lacks the authority (portal.access.NeedRights) gets the need-rights page."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.person is None:
            return render(request, "portal/no_person.html", status=403)
        if request.actor is None:
            return redirect(f"{reverse('portal:actor')}?{urlencode({'next': request.get_full_path()})}")
        try:
            return view(request, *args, **kwargs)
        except NeedRights as refused:
            return render(request, "portal/systemusers/need_rights.html", {"need": refused.need}, status=403)

    return wrapped


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None

"""What the system-access views share: the actor requirement, plain-word grants and error texts."""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.errors import ServiceError

ACTION_WORDS = {
    "read": gettext_lazy("lese"),
    "write": gettext_lazy("skrive"),
    "sign": gettext_lazy("signere"),
    "access": gettext_lazy("bruke"),
    "delete": gettext_lazy("slette"),
    "confirm": gettext_lazy("bekrefte"),
}

EVENT_WORDS = {
    "systemuser.created": gettext_lazy("Systemtilgangen ble opprettet"),
    "systemuser.deleted": gettext_lazy("Systemtilgangen ble slettet"),
    "systemuser.package_revoked": gettext_lazy("Tilgangspakke fjernet"),
    "systemuser.right_revoked": gettext_lazy("Enkeltrettighet fjernet"),
    "systemuser.client_added": gettext_lazy("Kunde lagt til"),
    "systemuser.client_removed": gettext_lazy("Kunde fjernet"),
    "changerequest.approved": gettext_lazy("Endring av rettigheter godkjent"),
    "changerequest.rejected": gettext_lazy("Endring av rettigheter avvist"),
    "systemuser.key_added": gettext_lazy("Nøkkel lagt til"),
    "systemuser.key_removed": gettext_lazy("Nøkkel fjernet"),
    "systemuser.grants_added": gettext_lazy("Rettigheter lagt til"),
}


def _rank(order: list[str], action: str) -> int:
    return order.index(action) if action in order else len(order)


def action_word(action: str) -> str:
    if not action:
        return _("alt tjenesten tillater")
    return str(ACTION_WORDS.get(action, action))


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
    order = list(ACTION_WORDS)
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


REASONS = {
    "not_held": gettext_lazy("du har den ikke selv for virksomheten"),
    "not_delegable": gettext_lazy("du har den, men har ikke lov til å gi den videre"),
}


def error_text(error: ServiceError, names: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """A refused operation as a clear message for the person, plus one line per failed item."""
    names = names or {}
    if error.code == "AUTH-00004":
        return _("Virksomheten har allerede en systemtilgang for dette systemet. Du finner den i oversikten."), []
    if error.code == "AUTH-00053":
        lines = [f"{names.get(x.item, x.item)}: {REASONS.get(x.reason, x.reason)}" for x in error.items]
        return _(
            "Du kan ikke opprette systemtilgangen, fordi du ikke kan gi bort alt systemet trenger. "
            "Be noen som har disse tilgangene og kan delegere dem, om å gjøre det:"
        ), lines
    if error.code == "AUTH-00066":
        return _("Du må være tilgangsstyrer eller hovedadministrator for virksomheten for å gjøre dette."), []
    if error.code == "AUTH-00016":
        return _(
            "Du må ha tilgangspakken «Klientadministrator» for virksomheten for å legge til eller fjerne kunder."
        ), []
    if error.code == "AUTH-00079":
        lines = [str(item) for item in error.items]
        return _("Disse er ikke kunder av virksomheten, så systemtilgangen kan ikke jobbe for dem:"), lines
    if error.code == "AUTH-00080":
        lines = [
            _("%(name)s (%(orgno)s) mangler: %(missing)s")
            % {
                "name": item["name"],
                "orgno": item["orgno"],
                "missing": ", ".join(names.get(code, code) for code in item["missing"]),
            }
            for item in error.items
        ]
        return _(
            "Disse kundene har ikke gitt virksomheten alle tilgangspakkene systemtilgangen krever, "
            "så de kan ikke legges til:"
        ), lines
    if error.code == "AUTH-00011":
        return _("Systemet finnes ikke lenger i systemregisteret."), []
    if error.code == "AUTH-00015":
        return _("Systemtilgangen finnes ikke. Den kan allerede være slettet."), []
    if error.code in {"AUTH-00001", "AUTH-00063", "AUTH-00064", "AUTH-00065"}:
        lines = [names.get(str(item), str(item)) for item in error.items]
        return _("Systemtilgangen har ikke, eller kan ikke få, dette:"), lines
    # The service's detail is English (written for the vendor API and the logs): never shown here.
    return _("Det gikk ikke. Prøv igjen, eller kontakt brukerstøtte og oppgi feilkoden %(code)s.") % {
        "code": error.code
    }, []


def actor_required(view):
    """Logged in as a person who acts for an organisation; otherwise off to log in or choose one."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.person is None:
            return render(request, "portal/no_person.html", status=403)
        if request.actor is None:
            return redirect(f"{reverse('portal:actor')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None

"""Whom the logged-in person acts for: kept in the session, re-checked against the register on every request.

Other capabilities use `switch_actor` (e.g. an approval link switching to the request's organisation),
`act_for_the_only_one` (a person with exactly one organisation needs no choice) and
`portal.access.actor_required` (pages that need a chosen organisation); nobody writes the session key
by hand. Each switch is remembered per person (`portal.models.ActorVisit`): the act-for page's recent
list, and the moment before which a pending request is not "new" (`new_since`).
"""

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from portal.models import ActorVisit
from registry import access
from registry.models import Organisation, Person

ACTOR_SESSION_KEY = "actor_orgno"
# When the person last began acting for the organisation acted for, before this time (ISO; "" = never).
SINCE_SESSION_KEY = "actor_since"
RECENT_COUNT = 5


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
    if org is None or not authority(request, org).may_act_for:  # authority(request, None) is the current one's
        return False
    if request.session.get(ACTOR_SESSION_KEY) != org.orgno:
        request.session[ACTOR_SESSION_KEY] = org.orgno
        request.session[SINCE_SESSION_KEY] = _visit(request.person, org)
    request.actor = org
    return True


def _visit(person: Person, org: Organisation) -> str:
    """Remember that the person begins acting for `org` now; the previous time, or "" if never."""
    previous = ActorVisit.objects.filter(person=person, org=org).values_list("at", flat=True).first()
    ActorVisit.objects.bulk_create(
        [ActorVisit(person=person, org=org, at=timezone.now())],
        update_conflicts=True,
        unique_fields=["person", "org"],
        update_fields=["at"],
    )
    return previous.isoformat() if previous else ""


def new_since(request) -> datetime | None:
    """The moment after which something for the organisation acted for is new to the person (their
    previous visit; None: everything, as they never acted for it before)."""
    return parse_datetime(request.session.get(SINCE_SESSION_KEY) or "")


def recent_orgs(person: Person) -> list[Organisation]:
    """The organisations the person most recently acted for and still may act for, newest first."""
    visits = ActorVisit.objects.filter(person=person, org__in=access.orgs_for_person(person))
    return [visit.org for visit in visits.select_related("org").order_by("-at")[:RECENT_COUNT]]


def act_for_the_only_one(request) -> bool:
    """Act for the person's organisation when they may act for exactly one (nothing to choose); says so."""
    orgs = list(access.orgs_for_person(request.person)[:2])
    if len(orgs) != 1 or not switch_actor(request, orgs[0]):
        return False
    messages.success(request, _("Du representerer nå %(name)s.") % {"name": orgs[0].name})
    return True


def landing_url(request) -> str:
    """Where a person lands after login with nowhere else to go: their organisation's overview when
    they act for one (or have only one), otherwise the act-for page."""
    if request.actor is not None or act_for_the_only_one(request):
        return reverse("portal:overview")
    return reverse("portal:actor")


def clear_actor(request) -> None:
    request.session.pop(ACTOR_SESSION_KEY, None)
    request.session.pop(SINCE_SESSION_KEY, None)
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

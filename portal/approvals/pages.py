"""What the request pages and the change-request page share: login, opening a confirmUrl (the refusal
page, the act-for switch), who may decide now, a refused decision shown on the page, and the wording of
rights and delegation failures.

The link carries only the id; everything shown and checked comes from the database and the person's
current authority, read once per request (portal.actor.authority). `load(request, pk)` is each page's
"found, and the person may act for it" (`access_decidable`, else a ServiceError); `show(request, obj,
status=200, **extra)` renders its page.
"""

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from approvals.models import ChangeRequest, Request, RequestStatus
from lib.errors import ServiceError
from lib.redirect_urls import redirect_allowed
from portal.actor import authority, switch_actor
from portal.systemusers.common import Grant, grants_for
from portal.words import action_word, error_text, reason_word
from registry.models import AccessPackage, Organisation, Resource

Decidable = Request | ChangeRequest
Load = Callable[[HttpRequest, uuid.UUID | None], Decidable]
Show = Callable[..., HttpResponse]


def parse_id(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


def refusal(request, err: ServiceError) -> HttpResponse:
    """Not found or not yours: say so plainly, and show nothing of the request."""
    return render(request, "approvals/refused.html", {"code": err.code, "status": err.status}, status=err.status)


def access_decidable(request, obj: Decidable, noun: str) -> Decidable:
    """`obj` if the person may act for the organisation that decides it, else AUTH-00041 (as the
    services refuse a decision): the page shows nothing of a request the person could not decide."""
    if not authority(request, obj.party).may_act_for:
        raise ServiceError("AUTH-00041", f"You may not act for the organisation of this {noun}", status=403)
    return obj


def act_for(request, org: Organisation) -> bool:
    """Switch "act for" to the request's organisation (the caller checked may_act_for). True if it changed."""
    already = request.actor is not None and request.actor.pk == org.pk
    return switch_actor(request, org) and not already


def open_link(request, *, load: Load, show: Show) -> HttpResponse:
    """The page at a confirmUrl (`?id=`): the refusal page unless it exists and the person may act for
    its organisation; otherwise act for that organisation (the page says so) and show it."""
    try:  # a missing or malformed id is None, which the look-up answers as any unknown one (AUTH-00010)
        obj = load(request, parse_id(request.GET.get("id")))
    except ServiceError as err:
        return refusal(request, err)
    return show(request, obj, switched=act_for(request, obj.party))


def refused_decision(request, pk: uuid.UUID, err: ServiceError, *, load: Load, show: Show) -> HttpResponse:
    """A decision the service refused: the page again with the error (and each delegation failure
    named), or the refusal page when the person may not see the request at all."""
    try:
        obj = load(request, pk)
    except ServiceError as refused:
        return refusal(request, refused)
    failures = err.items if err.code == "AUTH-00053" else None
    # The lines of AUTH-00053 are the failures box (named there); other codes list their items here.
    names = {p.code: p.name for p in AccessPackage.objects.filter(code__in=[str(item) for item in err.items])}
    error, lines = error_text(err, names)
    return show(
        request,
        obj,
        status=err.status,
        error_code=err.code,
        error=error,
        error_lines=[] if failures else lines,
        failures=failures,
    )


def decision_context(
    request, obj: Decidable, *, packages: list[str], rights: list[dict], delegates: bool, failures=None
) -> dict:
    """Who may do what with the request now. `delegates`: approving needs the delegation check
    (standard system users); `failures`: the service's AUTH-00053 items, instead of checking again."""
    party = obj.party
    rights_of_person = authority(request, party)
    is_manager = rights_of_person.is_access_manager
    if failures is None:
        checked = obj.is_open and is_manager and delegates
        failures = rights_of_person.delegation_check(packages=packages, rights=rights) if checked else []
    return {
        "vendor": obj.system.vendor,
        "system": obj.system,
        "party": party,
        "is_open": obj.is_open,
        "is_manager": is_manager,
        "state": "timedout" if obj.timed_out else obj.status,
        "can_decide": obj.is_open and is_manager,
        "can_approve": obj.is_open and is_manager and not failures,
        "failures": failure_rows(failures, packages, rights),
    }


def grant_lists(packages: list[str], rights: list[dict]) -> tuple[list[Grant], list[Grant]]:
    """The packages and the single rights asked for, in the words the details page uses for them:
    the services each gives access to and the actions (portal.systemusers.common.grants_for)."""
    grants = sorted(grants_for(packages, rights), key=lambda g: g.name.casefold())
    return [g for g in grants if g.kind == "package"], [g for g in grants if g.kind == "right"]


def failure_rows(failures, packages: list[str], rights: list[dict]) -> list[dict]:
    """Delegation-check failures in plain words: what it is called, and why the person may not give it."""
    if not failures:
        return []
    names = {p.code: p.name for p in AccessPackage.objects.filter(code__in=packages)}
    titles = {r.id: r.title for r in Resource.objects.filter(id__in={r["resource"] for r in rights})}
    rows = []
    for failure in failures:
        if failure.kind == "package":
            name = _("Tilgangspakken «%(name)s»") % {"name": names.get(failure.item, failure.item)}
        else:
            resource, _sep, action = failure.item.rpartition(":")
            name = _("Rettigheten «%(title)s»: %(action)s") % {
                "action": action_word(action),
                "title": titles.get(resource, resource),
            }
        rows.append({"name": name, "reason": reason_word(failure.reason)})
    return rows


def allowed_redirect(url: str, system) -> str | None:
    """`url` if it still matches one of the system's allowed redirect URLs (lib/redirect_urls.py), else
    None. Checked at decision time, so that a URL the vendor has since removed is not followed."""
    return url if redirect_allowed(url, system.allowed_redirect_urls) else None


def after_decision(request, obj: Decidable, page_url: str) -> HttpResponse:
    """After approve or reject: back to the vendor's software when its redirect URL is still allowed
    (the page there tells the outcome), else to the page, which shows the decided state. A redirect URL
    on this portal (the demo's) gets the outcome as a message, since that page does not tell it."""
    target = allowed_redirect(obj.redirect_url, obj.system) or page_url
    if target != page_url and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        messages.success(request, outcome_text(obj))
    return redirect(target)


def outcome_text(obj: Decidable) -> str:
    system = obj.system.display_name
    accepted = obj.status == RequestStatus.ACCEPTED
    if isinstance(obj, ChangeRequest):
        if accepted:
            return _("Endringen av systemtilgangen for %(system)s er godkjent.") % {"system": system}
        return _("Endringen av systemtilgangen for %(system)s er avvist.") % {"system": system}
    if accepted:
        return _("Forespørselen er godkjent, og systemtilgangen for %(system)s er opprettet.") % {"system": system}
    return _("Forespørselen om systemtilgang for %(system)s er avvist.") % {"system": system}

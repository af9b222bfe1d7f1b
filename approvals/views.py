"""The approval pages at the confirmUrl paths: parse → access → service → render.

The link carries only the request's id; everything shown and checked comes from the database and
the person's current authority.
"""

import uuid
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from approvals import services
from approvals.models import Request, RequestKind, RequestStatus
from portal.actor import switch_actor
from registry import access
from registry.errors import ServiceError
from registry.models import AccessPackage, Organisation, Resource

ACTIONS = {
    "": gettext_lazy("alle handlinger"),
    "read": gettext_lazy("lese"),
    "write": gettext_lazy("skrive"),
    "sign": gettext_lazy("signere"),
    "access": gettext_lazy("få tilgang"),
    "delete": gettext_lazy("slette"),
}
REASONS = {
    "not_held": gettext_lazy("Du har ikke denne tilgangen selv."),
    "not_delegable": gettext_lazy("Du har denne tilgangen, men har ikke lov til å gi den videre."),
}
SERVICES = {
    "approve": services.approve_request,
    "reject": services.reject_request,
    "escalate": services.escalate_request,
}


def _parse_id(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


def _refusal(request, err: ServiceError) -> HttpResponse:
    """Not found or not yours: say so plainly, and show nothing of the request."""
    return render(request, "approvals/refused.html", {"code": err.code, "status": err.status}, status=err.status)


def _act_for(request, org: Organisation) -> bool:
    """Switch "act for" to the request's organisation (the caller checked may_act_for). True if it changed."""
    already = request.actor is not None and request.actor.pk == org.pk
    return switch_actor(request, org) and not already


def _right_rows(rights: list[dict]) -> list[dict]:
    titles = {r.id: r.title for r in Resource.objects.filter(id__in={r["resource"] for r in rights})}
    return [
        {"title": titles.get(r["resource"], r["resource"]), "id": r["resource"], "action": _action(r.get("action"))}
        for r in rights
    ]


def _action(action: str | None) -> str:
    return str(ACTIONS.get(action or "", action))


def _failure_rows(failures, request_obj: Request) -> list[dict]:
    """Delegation-check failures in plain words: what it is called, and why the person may not give it."""
    if not failures:
        return []
    names = {p.code: p.name for p in AccessPackage.objects.filter(code__in=request_obj.access_packages)}
    titles = {r.id: r.title for r in Resource.objects.filter(id__in={r["resource"] for r in request_obj.rights})}
    rows = []
    for failure in failures:
        if failure.kind == "package":
            name = _("Tilgangspakken «%(name)s»") % {"name": names.get(failure.item, failure.item)}
        else:
            resource, _sep, action = failure.item.rpartition(":")
            name = _("Rettigheten «%(title)s»: %(action)s") % {
                "action": _action("" if action == "*" else action),
                "title": titles.get(resource, resource),
            }
        rows.append({"name": name, "reason": REASONS.get(failure.reason, failure.reason)})
    return rows


def _context(request, request_obj: Request, **extra) -> dict:
    person, party = request.person, request_obj.party
    is_open = request_obj.status == RequestStatus.NEW and not request_obj.timed_out
    is_manager = access.is_access_manager(person, party)
    failures = []
    if is_open and is_manager and request_obj.kind == RequestKind.STANDARD:
        failures = access.delegation_check(
            person, party, packages=request_obj.access_packages, rights=request_obj.rights
        )
    return {
        "req": request_obj,
        "vendor": request_obj.system.vendor,
        "system": request_obj.system,
        "party": party,
        "packages": AccessPackage.objects.filter(code__in=request_obj.access_packages).order_by("name_nb"),
        "rights": _right_rows(request_obj.rights),
        "is_open": is_open,
        "state": "timedout" if request_obj.timed_out else request_obj.status,
        "can_decide": is_open and is_manager,
        "can_approve": is_open and is_manager and not failures,
        "can_escalate": is_open and not request_obj.escalated and (not is_manager or bool(failures)),
        "failures": _failure_rows(failures, request_obj),
        **extra,
    }


@login_required
@require_GET
def request_page(request, kind: str):
    if request.person is None:
        return render(request, "portal/no_person.html", status=403)
    request_id = _parse_id(request.GET.get("id"))
    try:
        if request_id is None:
            raise ServiceError("AUTH-00010", "The request was not found", status=404)
        request_obj = services.get_request(request_id, kind=kind)
        services.check_may_act_for(request_obj, request.person)
    except ServiceError as err:
        return _refusal(request, err)
    switched = _act_for(request, request_obj.party)
    return render(request, "approvals/request.html", _context(request, request_obj, switched=switched))


@login_required
@require_POST
def decide(request, pk: uuid.UUID, decision: str):
    if request.person is None:
        return render(request, "portal/no_person.html", status=403)
    try:
        request_obj = SERVICES[decision](request_id=pk, by=request.person, ip=request.META.get("REMOTE_ADDR"))
    except ServiceError as err:
        return _error_page(request, pk, err)
    if decision == "escalate":
        messages.success(request, _("Forespørselen er sendt videre til tilgangsstyrerne i virksomheten."))
        return redirect(page_url(request_obj))
    target = redirect_target(request_obj)
    if target:
        return redirect(target)  # back to the vendor's software; the page there tells the outcome
    return redirect(page_url(request_obj))  # the page shows the decided state


def _error_page(request, pk: uuid.UUID, err: ServiceError) -> HttpResponse:
    try:
        request_obj = services.get_request(pk)
        services.check_may_act_for(request_obj, request.person)
    except ServiceError as refusal:
        return _refusal(request, refusal)
    failures = err.items if err.code == "AUTH-00053" else []
    context = _context(request, request_obj, error_code=err.code)
    if failures:
        context["failures"] = _failure_rows(failures, request_obj)
    return render(request, "approvals/request.html", context, status=err.status)


def page_url(request_obj: Request) -> str:
    name = "approvals:agentrequest" if request_obj.kind == RequestKind.AGENT else "approvals:request"
    return f"{reverse(name)}?id={request_obj.pk}"


def redirect_target(request_obj: Request) -> str | None:
    """The request's redirectUrl, if it still matches one of the system's allowed URLs (scheme, host,
    port and path; the query may differ — CONTRACT §2.2). Checked again here so that a URL the vendor
    has since removed is not followed."""
    return allowed_redirect(request_obj.redirect_url, request_obj.system)


def allowed_redirect(url: str, system) -> str | None:
    """`url` if it matches one of the system's allowed redirect URLs now (see redirect_target), else None."""
    if not url:
        return None
    wanted = urlsplit(url)
    for allowed in system.allowed_redirect_urls or []:
        ok = urlsplit(allowed)
        if (wanted.scheme, wanted.netloc.lower(), wanted.path) == (ok.scheme, ok.netloc.lower(), ok.path):
            return url if wanted.scheme in {"https", "http"} else None
    return None

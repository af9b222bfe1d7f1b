"""One system access: what it may do, who made it, what happened to it; revoke parts of it or delete it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from lib.errors import ServiceError
from maskinporten import self_developed
from portal.access import MANAGE, VIEW, access_system_user
from portal.actor import authority
from portal.htmx import partial_or_page, wants_fragment
from portal.systemusers.common import actor_required, client_ip, package_grant, right_grant
from portal.words import action_word, error_text, event_word
from registry.models import AccessPackage, ClientDelegation, Resource, SystemUser, SystemUserType
from registry.services import lifecycle

PAGE = "portal/systemusers/details.html"


CLIENTS_PER_PAGE = 100


def details_context(request, system_user: SystemUser) -> dict:
    rights = authority(request)
    is_manager = rights.is_access_manager
    is_agent = system_user.user_type == SystemUserType.AGENT
    grants = [package_grant(p.package) for p in system_user.packages.all()]
    grants += [right_grant(r) for r in system_user.rights.all()]
    events = _history(system_user)
    delegations = list(system_user.client_delegations.all())
    query = clients_query(request)
    page = Paginator(matching_clients(delegations, query), CLIENTS_PER_PAGE).get_page(request.GET.get("kunder"))
    # Where the list stands (search, page): page links, the remove forms and the way back keep it.
    where = {"q": query} if query else {}
    return {
        "su": system_user,
        "grants": grants,
        "events": events,
        "is_manager": is_manager,
        "may_revoke": is_manager and system_user.user_type == SystemUserType.STANDARD,
        "may_admin_clients": is_agent and rights.is_client_admin,
        # Every client for the delete confirmation; one page of them for the list (firms have thousands).
        "clients": delegations,
        "clients_q": query,
        "clients_page": page,
        "clients_q_link": urlencode(where),
        "clients_where": urlencode(where | ({"kunder": page.number} if page.number > 1 else {})),
    }


def clients_query(request) -> str:
    """The client search as typed, white space tidied; a NUL never gets here (portal.middleware)."""
    return " ".join(request.GET.get("q", "").split())[:100]


def matching_clients(delegations: list[ClientDelegation], query: str) -> list[ClientDelegation]:
    """The clients whose name or org number matches, as Organisation.objects.matching searches: digits
    (spaces allowed) match the org number, anything else the name, in any case. Filtered in memory over
    the prefetched list, so the page costs the same queries for 3 or 300 clients."""
    if not query:
        return delegations
    digits = query.replace(" ", "")
    if digits.isdigit():
        return [d for d in delegations if digits in d.client.orgno]
    text = query.casefold()
    return [d for d in delegations if text in d.client.name.casefold()]


def _history(system_user: SystemUser) -> list[tuple]:
    """The audit trail as (event, what happened, to what) in plain words: package names and service
    titles rather than their codes."""
    events = list(system_user.audit_trail())
    codes = {e.data.get("package") for e in events if isinstance(e.data, dict) and e.data.get("package")}
    ids = {e.data.get("resource") for e in events if isinstance(e.data, dict) and e.data.get("resource")}
    names = {p.code: p.name for p in AccessPackage.objects.filter(code__in=codes)} if codes else {}
    titles = {r.id: r.title for r in Resource.objects.filter(id__in=ids)} if ids else {}
    rows = []
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if data.get("package"):
            what = names.get(data["package"], data["package"])
        elif data.get("client"):
            what = f"{data.get('client_name', '')} ({data['client']})".strip()
        elif data.get("resource"):
            what = titles.get(data["resource"], data["resource"])
            if data.get("action"):
                what += f" ({action_word(data['action'])})"
        else:
            what = ""
        rows.append((event, event_word(event.action), what))
    return rows


@actor_required
def details(request, pk):
    # A client administrator works with agent system accesses too (adds and removes clients).
    system_user = access_system_user(request, pk, may=VIEW)
    # The live client search (aimed at the list) asks for the list and its count only.
    context = details_context(request, system_user)
    return partial_or_page(request, PAGE, f"{PAGE}#clients-search", context, target="clients")


@actor_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    system_user = access_system_user(request, pk, may=MANAGE)
    if request.method == "GET":
        context = details_context(request, system_user)
        return partial_or_page(request, "portal/systemusers/delete.html", f"{PAGE}#confirm-delete", context)
    try:
        if system_user.system.is_self_developed:  # the system and its client go with it
            self_developed.delete_own_integration(by=request.person, system_user=system_user, ip=client_ip(request))
        else:
            lifecycle.delete_system_user(system_user_id=system_user.pk, by=request.person, ip=client_ip(request))
    except ServiceError as error:
        messages.error(request, error_text(error)[0])
    else:
        text = _("Systemtilgangen for %(system)s er slettet.") % {"system": system_user.system.display_name}
        messages.success(request, text)
    # htmx: a whole new page, not a page inside the form.
    overview = reverse("portal:overview")
    return HttpResponseClientRedirect(overview) if wants_fragment(request) else redirect(overview)


def _after_revoke(request, system_user: SystemUser, text: str, *, ok: bool):
    """htmx: the updated list of grants plus an announced status; otherwise back to the page."""
    if wants_fragment(request):
        # 200 also for a refusal: htmx swaps only successful responses, and the person must see why.
        fresh = access_system_user(request, system_user.pk, may=None)
        context = details_context(request, fresh) | {"status": text, "ok": ok}
        return render(request, f"{PAGE}#grants-update", context)
    (messages.success if ok else messages.error)(request, text)
    return redirect("systemusers:details", pk=system_user.pk)


def _confirm_revoke(request, system_user: SystemUser, match) -> HttpResponse:
    """GET: ask first, saying what stops working and how it comes back (in place with htmx, or a page)."""
    grants = [package_grant(p.package) for p in system_user.packages.all()]
    grants += [right_grant(r) for r in system_user.rights.all()]
    grant = next((g for g in grants if match(g)), None)
    # An agent system access's packages are not revoked one by one (the POST says why): nothing to ask.
    if grant is None or system_user.user_type != SystemUserType.STANDARD:
        raise Http404("Not held by this system access")
    url = reverse(request.resolver_match.view_name, args=[system_user.pk])
    context = {"su": system_user, "g": grant, "revoke_url": url}
    page, confirm = "portal/systemusers/revoke.html", "portal/systemusers/_revoke_confirm.html"
    return partial_or_page(request, page, confirm, context)


@actor_required
@require_http_methods(["GET", "POST"])
def revoke_package(request, pk):
    if request.method == "GET":
        system_user = access_system_user(request, pk, may=MANAGE)
        code = request.GET.get("package", "")
        return _confirm_revoke(request, system_user, lambda g: g.kind == "package" and g.package == code)
    system_user = access_system_user(request, pk, may=None)  # the service refuses a person who may not
    code = request.POST.get("package", "")
    names = {p.package_id: p.package.name for p in system_user.packages.all()}
    try:
        lifecycle.revoke_package(system_user_id=system_user.pk, package=code, by=request.person, ip=client_ip(request))
    except ServiceError as error:
        return _after_revoke(request, system_user, _revoke_error(error), ok=False)
    text = _("Tilgangspakken %(name)s er fjernet fra systemtilgangen.") % {"name": names.get(code, code)}
    return _after_revoke(request, system_user, text, ok=True)


@actor_required
@require_http_methods(["GET", "POST"])
def revoke_right(request, pk):
    if request.method == "GET":
        system_user = access_system_user(request, pk, may=MANAGE)
        resource, action = request.GET.get("resource", ""), request.GET.get("action", "")
        return _confirm_revoke(
            request, system_user, lambda g: g.kind == "right" and (g.resource, g.action) == (resource, action)
        )
    system_user = access_system_user(request, pk, may=None)  # the service refuses a person who may not
    resource, action = request.POST.get("resource", ""), request.POST.get("action", "")
    titles = {r.resource_id: r.resource.title for r in system_user.rights.all()}
    try:
        lifecycle.revoke_right(
            system_user_id=system_user.pk, resource=resource, action=action, by=request.person, ip=client_ip(request)
        )
    except ServiceError as error:
        return _after_revoke(request, system_user, _revoke_error(error), ok=False)
    text = _("Rettigheten til %(title)s er fjernet fra systemtilgangen.") % {"title": titles.get(resource, resource)}
    return _after_revoke(request, system_user, text, ok=True)


def _revoke_error(error: ServiceError) -> str:
    if error.code in {"AUTH-00063", "AUTH-00001"}:
        return _("Systemtilgangen har ikke denne tilgangen (lenger). Ingenting er endret.")
    if error.code == "STD-00000":
        return _(
            "Tilgangspakkene på en systemtilgang for kunder fjernes ikke én og én: de endres når leverandøren ber om "
            "det. Ingenting er endret."
        )
    return error_text(error)[0]

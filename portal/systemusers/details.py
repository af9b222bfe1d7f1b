"""One system access: what it may do, who made it, what happened to it; revoke parts of it or delete it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from lib.errors import ServiceError
from maskinporten import self_developed
from portal.access import MANAGE, VIEW, access_system_user, actor_required
from portal.actor import authority
from portal.htmx import partial_or_page, wants_fragment
from portal.paging import window_of
from portal.systemusers.common import client_ip, package_grant, right_grant
from portal.words import action_word, client_role_word, error_text, event_word, refusal_text
from registry import usage
from registry.access import CLIENT_ROLES, OWN_ORGANISATION
from registry.models import AccessPackage, Organisation, Resource, SystemUser, SystemUserType
from registry.services import lifecycle

PAGE = "portal/systemusers/details.html"


CLIENTS_PER_PAGE = 100
CLIENTS_NAMED_ON_DELETE = 20
HISTORY_PER_PAGE = 25


def details_context(request, system_user: SystemUser, *, every_client: bool = False) -> dict:
    """What the page shows of the system access: grants, one page of its clients (searched in the
    database: a firm's agent system access may hold thousands), and what the person may do. With
    `every_client`, for the delete confirmation: the clients it stops working for (the first ones named,
    then how many more)."""
    rights = authority(request)
    is_manager = rights.is_access_manager
    is_agent = system_user.user_type == SystemUserType.AGENT
    grants = [package_grant(p.package) for p in system_user.packages.all()]
    grants += [right_grant(r) for r in system_user.rights.all()]
    query, role = clients_query(request), client_role(request)
    page = Paginator(matching_clients(system_user, query, role), CLIENTS_PER_PAGE).get_page(request.GET.get("kunder"))
    # Where the list stands (search, role, page): page links, the remove forms and the way back keep it.
    where = {key: value for key, value in (("q", query), ("rolle", role)) if value}
    context = {
        "su": system_user,
        "grants": grants,
        "is_manager": is_manager,
        "may_revoke": is_manager and system_user.user_type == SystemUserType.STANDARD,
        "may_admin_clients": is_agent and rights.is_client_admin,
        "has_clients": bool(query) or page.paginator.count > 0,
        "clients_q": query,
        "clients_role": role,
        "role_filters": role_filters(),
        "clients_page": page,
        "clients_q_link": urlencode(where),
        "clients_where": urlencode(where | ({"kunder": page.number} if page.number > 1 else {})),
    }
    if every_client and is_agent:
        # The first clients by name and how many more: a firm's agent system access may hold thousands.
        named = list(matching_clients(system_user, "")[:CLIENTS_NAMED_ON_DELETE])
        context |= {"clients": named, "clients_more": system_user.client_delegations.count() - len(named)}
    return context


def clients_query(request) -> str:
    """The client search as typed, white space tidied; a NUL never gets here (portal.middleware)."""
    return " ".join(request.GET.get("q", "").split())[:100]


def client_role(request) -> str:
    """The role filter chosen (`rolle`): an ER code, the firm itself or "delegert"; anything else is none."""
    role = request.GET.get("rolle", "")
    return role if role in ROLE_FILTERS else ""


ROLE_FILTERS = (*CLIENT_ROLES, OWN_ORGANISATION, "delegert")


def role_filters() -> list[tuple[str, str]]:
    """The role filter's choices in words: why the organisation is a client of the firm."""
    return [(code, client_role_word("" if code == "delegert" else code, OWN_ORGANISATION)) for code in ROLE_FILTERS]


def role_q(role: str) -> Q:
    """The role filter on ClientDelegation.role_code (a comma-separated list of codes, "" when the client
    delegated the packages itself). The add page filters its candidates by the same words in the
    database (registry.services.clients.eligible, `role`)."""
    if not role:
        return Q()
    if role == "delegert":
        return Q(role_code="")
    return (
        Q(role_code=role)
        | Q(role_code__startswith=f"{role},")
        | Q(role_code__endswith=f",{role}")
        | Q(role_code__contains=f",{role},")
    )


def matching_clients(system_user: SystemUser, query: str, role: str = ""):
    """The system access's clients whose name or org number matches, as every organisation search does
    (Organisation.objects.matching), with the role filter; by name. In the database: a firm's agent
    system access may hold thousands."""
    delegations = system_user.client_delegations.select_related("client", "created_by").order_by(
        "client__name", "client__orgno"
    )
    if query:
        delegations = delegations.filter(client__in=Organisation.objects.matching(query))
    return delegations.filter(role_q(role))


def history_context(request, system_user: SystemUser) -> dict:
    """One window of the system user's history (what people did to it, newest first), and its use (when
    last, how much, the last refusals in words): a fixed number of queries, each an index range, however
    long the history or heavy the traffic."""
    window = window_of(request, system_user.history(), size=HISTORY_PER_PAGE)
    used = usage.usage_of(system_user)
    refusals = [(refusal, refusal_text(refusal)) for refusal in used.refusals]
    return {"history": window, "events": _in_words(window.rows), "usage": used, "refusals": refusals}


def _in_words(events) -> list[tuple]:
    """Events as (event, what happened, to what) in plain words: package names and service titles
    rather than their codes."""
    events = list(events)
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
    # The live client search (aimed at the list) asks for the list and its count only, a history link
    # for that window of the history only; anything else (a history restore too) the whole page.
    if wants_fragment(request, "clients"):
        return partial_or_page(
            request, PAGE, f"{PAGE}#clients-search", details_context(request, system_user), target="clients"
        )
    if wants_fragment(request, "history"):
        context = history_context(request, system_user) | {"su": system_user}
        return partial_or_page(request, PAGE, f"{PAGE}#history", context, target="history")
    context = details_context(request, system_user) | history_context(request, system_user)
    return partial_or_page(request, PAGE, PAGE, context, target="clients")


@actor_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    system_user = access_system_user(request, pk, may=MANAGE)
    if request.method == "GET":
        context = details_context(request, system_user, every_client=True)
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
        # The fragment is part of the details page, so it takes that page's authority: a person who may
        # not see the page gets the need-rights answer, not the access's packages and rights.
        fresh = access_system_user(request, system_user.pk, may=VIEW)
        context = details_context(request, fresh) | history_context(request, fresh) | {"status": text, "ok": ok}
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
            "Tilgangspakkene på en systemtilgang for klienter fjernes ikke én og én: de endres når leverandøren ber om "
            "det. Ingenting er endret."
        )
    return error_text(error)[0]

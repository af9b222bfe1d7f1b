"""Clients of an agent system access: add clients of the firm to it, remove them (client administrator).

Authority is the package `klientadministrator` for the organisation acted for (DESIGN §4), checked on
every request against the current rows; the service checks it again. Another organisation's system
access, a deleted one or a standard one answers 404 on these pages, so none of them leaks.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from lib.errors import ServiceError
from portal.access import CLIENTS, access_system_user
from portal.htmx import partial_or_page, wants_fragment
from portal.systemusers.common import actor_required, client_ip
from portal.systemusers.details import clients_query, details_context
from portal.words import ROLES, error_text
from registry.models import AccessPackage, ClientDelegation, SystemUser
from registry.services import clients

PAGE = "portal/systemusers/clients_add.html"
DETAILS = "portal/systemusers/details.html"
PER_PAGE = 50


def _package_names(system_user: SystemUser) -> dict[str, str]:
    packages = AccessPackage.objects.filter(systemuserpackage__system_user=system_user).order_by("code")
    return {p.code: p.name for p in packages}


def _via(role_code: str) -> str:
    """Why the organisation is a client, in words: "regnskapsfører (REGN)", or given by the client itself."""
    if not role_code:
        return _("tilgangspakkene er gitt av kunden")
    return ", ".join(f"{ROLES[c]} ({c})" if c in ROLES else c for c in role_code.split(","))


def _add_context(request, system_user: SystemUser, selected: list[str] | None = None, **extra) -> dict:
    """One page of the clients that can be added, and the ones already ticked. Ticks travel as repeated
    `orgno` (the live search and page links send them along), so a search or another page keeps them;
    only ticked organisations that can be added are shown, however the list was made."""
    query = request.GET.get("q", "").strip()[:100]
    if selected is None:
        selected = request.GET.getlist("orgno")
    wanted = set(selected[: clients.MAX_CLIENTS_PER_ADD])
    everything = clients.eligible_clients(system_user) if wanted or not query else []
    matching = clients.eligible_clients(system_user, query=query) if query else everything
    chosen = [c for c in everything if c.orgno in wanted]
    chosen_orgnos = {c.orgno for c in chosen}
    candidates = [c for c in matching if c.orgno not in chosen_orgnos]
    page = Paginator(candidates, PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"orgno": c.orgno, "name": c.name, "via": _via(c.role_code)} for c in page.object_list]
    return {
        "su": system_user,
        "q": query,
        "page": page,
        "rows": rows,
        "chosen": [{"orgno": c.orgno, "name": c.name, "via": _via(c.role_code)} for c in chosen],
        "chosen_query": urlencode([("orgno", c.orgno) for c in chosen]),
        "packages": _package_names(system_user),
    } | extra


@actor_required
@require_http_methods(["GET", "POST"])
def add(request, pk):
    system_user = access_system_user(request, pk, may=CLIENTS)
    if request.method == "POST":
        return _add(request, system_user)
    return partial_or_page(request, PAGE, f"{PAGE}#results", _add_context(request, system_user))


def _add(request, system_user: SystemUser):
    orgnos = request.POST.getlist("orgno")
    if not orgnos:
        context = _add_context(request, system_user, [], error=_("Velg minst én kunde å legge til."))
        return render(request, PAGE, context, status=400)
    if len(orgnos) > clients.MAX_CLIENTS_PER_ADD:
        error = _(
            "Du kan legge til høyst %(max)d kunder om gangen, og du valgte %(count)d. Legg dem til i flere omganger."
        ) % {"max": clients.MAX_CLIENTS_PER_ADD, "count": len(orgnos)}
        return render(request, PAGE, _add_context(request, system_user, [], error=error), status=400)
    try:
        made = clients.add_clients(
            system_user_id=system_user.pk, orgnos=orgnos, by=request.person, party=request.actor, ip=client_ip(request)
        )
    except ServiceError as error:
        text, lines = error_text(error, _package_names(system_user))
        context = _add_context(request, system_user, orgnos, error=text, error_lines=lines)
        return render(request, PAGE, context, status=error.status)
    if made:
        names = ClientDelegation.objects.filter(pk__in=[row.pk for row in made]).order_by("client__name")
        text = ngettext(
            "%(count)d kunde er lagt til: %(names)s.", "%(count)d kunder er lagt til: %(names)s.", len(made)
        ) % {"count": len(made), "names": ", ".join(names.values_list("client__name", flat=True))}
        messages.success(request, text)
    else:
        messages.info(request, _("Kundene var allerede lagt til. Ingenting er endret."))
    return redirect("systemusers:details", pk=system_user.pk)


def _delegation(system_user: SystemUser, orgno: str) -> ClientDelegation | None:
    return (
        ClientDelegation.objects.select_related("client").filter(system_user=system_user, client__orgno=orgno).first()
    )


@actor_required
@require_http_methods(["GET", "POST"])
def remove(request, pk, orgno):
    system_user = access_system_user(request, pk, may=CLIENTS)
    if request.method == "GET":
        delegation = _delegation(system_user, orgno)
        if delegation is None:
            raise Http404("Not a client of this system access")
        context = {"su": system_user, "delegation": delegation, "back": _where(request)}
        confirm = "portal/systemusers/_client_remove_confirm.html"
        return partial_or_page(request, "portal/systemusers/client_remove.html", confirm, context)
    row = _delegation(system_user, orgno)
    try:
        removed = clients.remove_client(
            system_user_id=system_user.pk, orgno=orgno, by=request.person, party=request.actor, ip=client_ip(request)
        )
    except ServiceError as error:
        return _after_remove(request, system_user, error_text(error)[0], ok=False)
    if not removed:
        return _after_remove(
            request,
            system_user,
            _("Dette er ikke (lenger) en kunde på systemtilgangen. Ingenting er endret."),
            ok=False,
        )
    return _after_remove(request, system_user, _("%(name)s er fjernet som kunde.") % {"name": row.client.name}, ok=True)


def _after_remove(request, system_user: SystemUser, text: str, *, ok: bool):
    """htmx: the updated list of clients plus an announced status; otherwise back to the details page."""
    if wants_fragment(request):
        # 200 also for a refusal: htmx swaps only successful responses, and the person must see why.
        fresh = access_system_user(request, system_user.pk, may=None)
        context = details_context(request, fresh) | {"status": text, "ok": ok, "clients_status": True}
        return render(request, f"{DETAILS}#clients-update", context)
    (messages.success if ok else messages.error)(request, text)
    back = _where(request)
    return redirect(reverse("systemusers:details", args=[system_user.pk]) + (f"?{back}" if back else ""))


def _where(request) -> str:
    """Where the details page's client list stood (search, page), so removing a client keeps it."""
    where = {"q": clients_query(request), "kunder": request.GET.get("kunder", "")}
    return urlencode({key: value for key, value in where.items() if value})

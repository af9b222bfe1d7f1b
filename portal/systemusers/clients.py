"""Clients of an agent system access: add clients of the firm to it, remove them (client administrator).

Authority is the package `klientadministrator` for the organisation acted for (DESIGN §4), checked on
every request against the current rows; the service checks it again. Another organisation's system
access, a deleted one or a standard one answers 404 on these pages, so none of them leaks.
"""

import csv

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from lib.errors import ServiceError
from portal.access import CLIENTS, VIEW, access_system_user, actor_required
from portal.htmx import partial_or_page, wants_fragment
from portal.paging import walked_page
from portal.systemusers.common import client_ip
from portal.systemusers.details import (
    client_role,
    clients_query,
    details_context,
    history_context,
    matching_clients,
    role_filters,
)
from portal.words import client_fix, client_missing, client_role_word, error_text
from registry import access
from registry.access import OWN_ORGANISATION
from registry.models import AccessPackage, ClientDelegation, SystemUser
from registry.services import clients

PAGE = "portal/systemusers/clients_add.html"
RESULT = "portal/systemusers/clients_result.html"
DETAILS = "portal/systemusers/details.html"
PER_PAGE = 50


def _package_names(system_user: SystemUser) -> dict[str, str]:
    packages = AccessPackage.objects.filter(systemuserpackage__system_user=system_user).order_by("code")
    return {p.code: p.name for p in packages}


def _via(role_code: str) -> str:
    """Why the organisation is a client, in words: "regnskapsfører (REGN)", or given by the client itself."""
    return ", ".join(client_role_word(code, OWN_ORGANISATION) for code in role_code.split(","))


def _add_context(request, system_user: SystemUser, selected: list[str] | None = None, **extra) -> dict:
    """One page of the clients that can be added, and the ones already ticked. Ticks travel as repeated
    `orgno` (the live search and page links send them along), so a search or another page keeps them;
    only ticked organisations that can be added are shown, however the list was made."""
    query = request.GET.get("q", "").strip()[:100]
    if selected is None:
        selected = request.GET.getlist("orgno")
    wanted = list(dict.fromkeys(selected[: clients.MAX_CLIENTS_PER_ADD]))
    required = clients.required_packages(system_user)
    role = client_role(request)
    # Read off the firm's list of clients in name order (clients.eligible, registry.listings) and counted
    # only so far (walked_page): a page costs the same for a firm with 50 clients or 5,000.
    everything = clients.eligible(system_user, required=required)
    chosen = clients.candidates(everything.filter(orgno__in=wanted), required) if wanted else []
    chosen_orgnos = [c.orgno for c in chosen]
    # The role filter in the database: "delegert" are the clients that gave the packages themselves.
    through = ("" if role == "delegert" else role) if role else None
    shown = clients.choosing(system_user, query=query, role=through, required=required)
    if chosen_orgnos:
        shown &= ~Q(orgno__in=chosen_orgnos)
    page = walked_page(request.GET.get("page"), everything, size=PER_PAGE, shown=shown)
    on_page = clients.candidates(page.object_list, required)
    rows = [{"orgno": c.orgno, "name": c.name, "via": _via(c.role_code)} for c in on_page]
    # "Select all on this page": the same list with this page's clients ticked as well.
    whole_page = [("orgno", c.orgno) for c in chosen + on_page][: clients.MAX_CLIENTS_PER_ADD]
    where = [(key, value) for key, value in (("q", query), ("rolle", role)) if value]
    return {
        "su": system_user,
        "q": query,
        "page": page,
        "rows": rows,
        "chosen": [{"orgno": c.orgno, "name": c.name, "via": _via(c.role_code)} for c in chosen],
        "chosen_query": urlencode([("orgno", c.orgno) for c in chosen]),
        "select_page_query": urlencode(where + [("page", page.number)] + whole_page),
        "where": urlencode(where),
        "role": role,
        "role_filters": role_filters(),
        "eligible_count": page.total,
        "eligible_over": page.total_over,
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
    """Add the ticked clients, or with `all` every client that can be added: each client on its own
    (registry.services.clients.add_each). All added: back to the details page; any refused, or "add
    all": the result page naming each client added and each refused with why."""
    add_all = bool(request.POST.get("all"))
    orgnos = None if add_all else [o for o in request.POST.getlist("orgno") if o.strip()]
    if orgnos is not None and not orgnos:
        context = _add_context(request, system_user, [], error=_("Velg minst én klient å legge til."))
        return render(request, PAGE, context, status=400)
    if orgnos is not None and len(orgnos) > clients.MAX_CLIENTS_PER_ADD:
        error = _(
            "Du kan legge til høyst %(max)d klienter om gangen, og du valgte %(count)d. Legg dem til i flere omganger."
        ) % {"max": clients.MAX_CLIENTS_PER_ADD, "count": len(orgnos)}
        return render(request, PAGE, _add_context(request, system_user, [], error=error), status=400)
    try:
        outcomes = clients.add_each(
            system_user_id=system_user.pk, orgnos=orgnos, by=request.person, party=request.actor, ip=client_ip(request)
        )
    except ServiceError as error:
        text, lines = error_text(error, _package_names(system_user))
        context = _add_context(request, system_user, orgnos or [], error=text, error_lines=lines)
        return render(request, PAGE, context, status=error.status)
    added = [o for o in outcomes if o.result == clients.ADDED]
    refused = [o for o in outcomes if o.result == clients.REFUSED]
    if add_all or refused:
        return _result(request, system_user, outcomes, status=200 if added or not refused else 400)
    if added:
        text = ngettext(
            "%(count)d klient er lagt til: %(names)s.", "%(count)d klienter er lagt til: %(names)s.", len(added)
        ) % {"count": len(added), "names": ", ".join(sorted((o.name for o in added), key=str.casefold))}
        messages.success(request, text)
    else:
        messages.info(request, _("Klientene var allerede lagt til. Ingenting er endret."))
    return redirect("systemusers:details", pk=system_user.pk)


def _result(request, system_user: SystemUser, outcomes: list, *, status: int):
    names = _package_names(system_user)
    refused = [
        {
            "orgno": o.orgno,
            "name": o.name,
            "reason": client_missing(
                o.name, code=o.code, missing=list(o.missing), names=names, itself=o.orgno == system_user.owner.orgno
            ),
        }
        for o in outcomes
        if o.result == clients.REFUSED
    ]
    context = {
        "su": system_user,
        "added": [o for o in outcomes if o.result == clients.ADDED],
        "already": [o for o in outcomes if o.result == clients.ALREADY],
        "refused": refused,
    }
    return render(request, RESULT, context, status=status)


@actor_required
@require_GET
def missing(request, pk):
    """Why a client is missing: the firm's clients that cannot be added, what each lacks and what
    would fix it (client administrator, as the add page)."""
    system_user = access_system_user(request, pk, may=CLIENTS)
    names = _package_names(system_user)
    roles = access.client_roles_giving(list(names))
    required = clients.required_packages(system_user)
    # Read off the firm's list of clients a page at a time, counted only so far (walked_page).
    page = walked_page(request.GET.get("page"), clients.not_qualifying(system_user, required=required), size=PER_PAGE)
    rows = []
    for c in clients.candidates(page.object_list, required):
        itself = c.org_id == system_user.owner_id
        why = client_missing(c.name, code="AUTH-00080", missing=list(c.missing), names=names, itself=itself)
        fix = "" if itself else client_fix(list(c.missing), roles, names)
        rows.append({"orgno": c.orgno, "name": c.name, "missing": why, "fix": fix})
    context = {"su": system_user, "page": page, "rows": rows, "packages": names}
    return render(request, "portal/systemusers/clients_missing.html", context)


@actor_required
@require_GET
def export(request, pk):
    """The clients on the system access as CSV (org number, name, role, since when, added by), with the
    details page's search and role filter; for whoever sees the list there."""
    system_user = access_system_user(request, pk, may=VIEW)
    shown = matching_clients(system_user, clients_query(request), client_role(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="klienter-{system_user.owner.orgno}-{system_user.pk}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    out = csv.writer(response)
    out.writerow([_("Organisasjonsnummer"), _("Navn"), _("Hvorfor klient"), _("Lagt til"), _("Lagt til av")])
    for d in shown:
        added_by = d.created_by.name if d.created_by else ""
        out.writerow(
            [d.client.orgno, _cell(d.client.name), _via(d.role_code), d.created.date().isoformat(), _cell(added_by)]
        )
    return response


def _cell(text: str) -> str:
    # A cell that starts like a formula would run as one in a spreadsheet program: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
            _("Dette er ikke (lenger) en klient på systemtilgangen. Ingenting er endret."),
            ok=False,
        )
    return _after_remove(
        request, system_user, _("%(name)s er fjernet som klient.") % {"name": row.client.name}, ok=True
    )


def _after_remove(request, system_user: SystemUser, text: str, *, ok: bool):
    """htmx: the updated list of clients plus an announced status; otherwise back to the details page."""
    if wants_fragment(request):
        # 200 also for a refusal: htmx swaps only successful responses, and the person must see why.
        fresh = access_system_user(request, system_user.pk, may=None)
        # The history too (out of band): the removal is its newest event.
        context = details_context(request, fresh) | history_context(request, fresh)
        context |= {"status": text, "ok": ok, "clients_status": True}
        return render(request, f"{DETAILS}#clients-update", context)
    (messages.success if ok else messages.error)(request, text)
    back = _where(request)
    return redirect(reverse("systemusers:details", args=[system_user.pk]) + (f"?{back}" if back else ""))


def _where(request) -> str:
    """Where the details page's client list stood (search, page), so removing a client keeps it."""
    where = {"q": clients_query(request), "rolle": client_role(request), "kunder": request.GET.get("kunder", "")}
    return urlencode({key: value for key, value in where.items() if value})

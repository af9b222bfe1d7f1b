"""The portal shell: front page, test login, logout and the choice of whom to act for."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import Case, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lib.identifiers import is_valid_orgno
from portal import oidc
from portal.access import person_required
from portal.actor import landing_url, recent_orgs, switch_actor
from portal.auth import login_person
from portal.forms import TestLoginForm
from portal.htmx import partial_or_page
from portal.paging import counted_page
from portal.words import acting_basis_words
from registry import access
from registry.models import Organisation, Person
from registry.models.parties import matching_q

ORG_LIST_LIMIT = 50
# The recent list is for people with many organisations: with a handful, the whole list is as quick.
RECENT_FROM = 8


def safe_next(request) -> str:
    """The `next` parameter if it is a path on this site (never another host: no open redirect), else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return ""
    if target.startswith((reverse("portal:login"), reverse("portal:logout"))):
        return ""
    return target


def home(request):
    if request.person is not None:
        return redirect(landing_url(request))
    return render(request, "portal/home.html")


def login_choice(request):
    return render(request, "portal/login.html", {"next": safe_next(request)})


@require_http_methods(["GET", "POST"])
def test_login(request):
    if not settings.TEST_LOGIN_ENABLED:
        raise Http404("Test login is disabled")
    form = TestLoginForm(request.POST or None)
    if form.is_valid():
        login_person(request, form.person)
        return redirect(safe_next(request) or landing_url(request))
    status = 400 if form.is_bound else 200
    return render(request, "portal/test_login.html", {"form": form, "next": safe_next(request)}, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request):
    if request.method == "GET":  # a link or a prefetch must never log anyone out
        return render(request, "portal/logout.html")
    id_token = request.session.get(oidc.ID_TOKEN_SESSION_KEY)
    list(messages.get_messages(request))  # drop unread notices: the next person at this browser must not see them
    logout(request)
    # Logged in through ID-porten: end the session there too, which then sends the person back here.
    provider_logout = oidc.logout_url(id_token) if id_token and oidc.is_enabled() else None
    if provider_logout:
        return redirect(provider_logout)
    messages.info(request, _("Du er logget ut."))
    return redirect("portal:home")


@person_required
@require_http_methods(["GET", "POST"])
def choose_actor(request):
    if request.method == "POST":
        return _choose(request)
    context = _org_list(request.person, request.GET.get("q", ""))
    page = "portal/actor.html"
    return partial_or_page(request, page, f"{page}#htmx-results", {**context, "next": safe_next(request)})


def _choose(request):
    orgno = request.POST.get("orgno", "").strip()
    org = Organisation.objects.filter(orgno=orgno).first() if is_valid_orgno(orgno) else None
    if switch_actor(request, org):
        messages.success(request, _("Du representerer nå %(name)s.") % {"name": org.name})
        return redirect(safe_next(request) or "portal:overview")
    error, status = _refusal(orgno)
    context = {**_org_list(request.person, ""), "error": error, "next": safe_next(request)}
    return render(request, "portal/actor.html", context, status=status)


def _refusal(orgno: str) -> tuple[str, int]:
    if not is_valid_orgno(orgno):
        return _("Det mangler et gyldig organisasjonsnummer. Velg en av virksomhetene under."), 400
    # The same answer for an unknown number as for a known one: the page must not reveal which exist.
    text = _(
        "Du kan ikke representere virksomheten med organisasjonsnummer %(orgno)s. "
        "Du har ingen rolle eller tilgang der. Velg en av virksomhetene under."
    )
    return text % {"orgno": orgno}, 403


def _org_list(person: Person, query: str) -> dict:
    """The act-for page's list: the first ORG_LIST_LIMIT matches with subunits under their main unit,
    each with why the person may act for it, and the recently used ones. A fixed number of queries."""
    query = query.strip()[:100]
    # A subunit under its main unit: by the main unit's name (looked up for the person's organisations
    # only, not joined over the whole register), the main unit first, then by name.
    main_name = Organisation.objects.filter(pk=OuterRef("parent_id")).order_by().values("name")[:1]
    orgs = access.orgs_for_person(person).annotate(
        group_name=Coalesce(Subquery(main_name), "name"),
        group_id=Coalesce("parent_id", "id"),
        is_subunit=Case(When(parent__isnull=True, then=Value(0)), default=Value(1)),
    )
    # The first matches, how many match and how many there are in all: one query (counted_page).
    page = counted_page(
        1, orgs.order_by("group_name", "group_id", "is_subunit", "name"), size=ORG_LIST_LIMIT, shown=matching_q(query)
    )
    shown, total = list(page.object_list), page.total
    main_units = Organisation.objects.in_bulk({org.parent_id for org in shown if org.parent_id})
    for org in shown:
        if org.parent_id:
            org.parent = main_units[org.parent_id]  # the page says "underenhet av …"
    recent = recent_orgs(person) if total > RECENT_FROM and not query else []
    bases = access.acting_bases(person, shown + recent)
    return {
        "q": query,
        "org_total": total,
        "match_count": page.paginator.count,
        "orgs": shown,
        "entries": _entries(shown, bases),
        "recent": [_entry(org, bases) for org in recent],
    }


def _entry(org: Organisation, bases: dict) -> dict:
    return {"org": org, "why": acting_basis_words(bases.get(org.pk, [])), "subunits": []}


def _entries(orgs: list[Organisation], bases: dict) -> list[dict]:
    """Top-level entries, a subunit under its main unit when the main unit is listed too."""
    entries: dict[object, dict] = {}
    top = []
    for org in orgs:
        entry = _entry(org, bases)
        main = entries.get(org.parent_id)
        if main is not None:
            main["subunits"].append(entry)
        else:
            top.append(entry)
        entries[org.pk] = entry
    return top

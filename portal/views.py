from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal import oidc
from portal.auth import login_person
from portal.forms import TestLoginForm
from portal.middleware import ACTOR_SESSION_KEY
from registry import access
from registry.models import Organisation, Person


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def home(request):
    if request.person is not None:
        return redirect("portal:actor" if request.actor is None else "portal:overview")
    return render(request, "portal/home.html")


def login_choice(request):
    return render(request, "portal/login.html", {"next": _safe_next(request, "")})


@require_http_methods(["GET", "POST"])
def test_login(request):
    if not settings.TEST_LOGIN_ENABLED:
        raise Http404("Test login is disabled")
    form = TestLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = Person.objects.filter(pid=form.cleaned_data["pid"]).first()
        if person is None:
            form.add_error("pid", _("Ingen person med dette fødselsnummeret finnes i registeret."))
        else:
            login_person(request, person)
            return redirect(_safe_next(request, "portal:actor"))
    return render(request, "portal/test_login.html", {"form": form, "next": _safe_next(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def choose_actor(request):
    if request.person is None:
        return render(request, "portal/no_person.html", status=403)
    orgs = access.orgs_for_person(request.person)
    if request.method == "POST":
        org = Organisation.objects.filter(orgno=request.POST.get("orgno", "")).first()
        if not access.may_act_for(request.person, org):
            messages.error(request, _("Du kan ikke representere denne virksomheten."))
            return redirect("portal:actor")
        request.session[ACTOR_SESSION_KEY] = org.orgno
        return redirect(_safe_next(request, "portal:overview"))
    query = request.GET.get("q", "").strip()
    if query:
        orgs = orgs.filter(name__icontains=query) | orgs.filter(orgno__startswith=query)
    return render(request, "portal/actor.html", {"orgs": orgs, "q": query, "next": _safe_next(request, "")})


@require_POST
def logout_view(request):
    id_token = request.session.get(oidc.ID_TOKEN_SESSION_KEY)
    logout(request)
    # Logged in through ID-porten: end the session there too, which then sends the person back here.
    provider_logout = oidc.logout_url(id_token) if id_token and oidc.is_enabled() else None
    return redirect(provider_logout or "portal:home")


@login_required
def overview(request):
    if request.actor is None:
        return redirect("portal:actor")
    return render(request, "portal/overview.html")

"""Login with ID-porten: start, callback, return after logout. The protocol lives in portal/oidc.py."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from portal import oidc, oidc_logout
from portal.actor import landing_url
from portal.auth import login_person

log = logging.getLogger(__name__)

ACR_NAMES = {
    "idporten-loa-low": gettext_lazy("lavt"),
    "idporten-loa-substantial": gettext_lazy("betydelig"),
    "idporten-loa-high": gettext_lazy("høyt"),
}

# reason → (HTTP status, heading, what happened and what to do)
FAILURES = {
    "unreachable": (
        502,
        gettext_lazy("ID-porten svarer ikke"),
        gettext_lazy("Vi får ikke kontakt med ID-porten akkurat nå. Vent litt og prøv å logge inn igjen."),
    ),
    "cancelled": (
        400,
        gettext_lazy("Innloggingen ble avbrutt"),
        gettext_lazy("Du avbrøt innloggingen i ID-porten. Du er ikke logget inn."),
    ),
    "state": (
        400,
        gettext_lazy("Innloggingen er utløpt eller allerede brukt"),
        gettext_lazy(
            "Svaret fra ID-porten hører ikke til en innlogging som pågår i denne nettleseren. "
            "Det skjer når en innloggingslenke brukes på nytt eller er for gammel. Start innloggingen på nytt."
        ),
    ),
    "invalid_token": (
        400,
        gettext_lazy("Innloggingen kunne ikke bekreftes"),
        gettext_lazy(
            "Svaret fra ID-porten var ikke gyldig for denne tjenesten, så vi kunne ikke logge deg inn. "
            "Prøv igjen. Kontakt brukerstøtte hvis feilen gjentar seg."
        ),
    ),
    "expired": (
        400,
        gettext_lazy("Innloggingen er utløpt"),
        gettext_lazy("Bekreftelsen fra ID-porten var for gammel. Logg inn på nytt."),
    ),
    "acr_too_low": (
        403,
        gettext_lazy("Du må logge inn med et høyere sikkerhetsnivå"),
        gettext_lazy(
            "Denne tjenesten krever innlogging på minst %(level)s sikkerhetsnivå. Logg inn på nytt med en "
            "innloggingsmetode på det nivået, for eksempel BankID."
        ),
    ),
    "provider_error": (
        502,
        gettext_lazy("Innloggingen feilet hos ID-porten"),
        gettext_lazy("ID-porten kunne ikke fullføre innloggingen. Prøv igjen om litt."),
    ),
}


@require_GET
@never_cache
def start(request):
    if not oidc.is_enabled():
        raise Http404("ID-porten login is not configured")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = ""
    try:
        return redirect(oidc.start_login(request, target))
    except oidc.LoginFailed as failure:
        return _failed(request, failure)


@require_GET
@never_cache
def callback(request):
    if not oidc.is_enabled():
        raise Http404("ID-porten login is not configured")
    try:
        result = oidc.finish_login(request)
    except oidc.LoginFailed as failure:
        return _failed(request, failure)
    person, created = oidc.person_for_login(result, ip=request.META.get("REMOTE_ADDR"))
    login_person(request, person)
    request.session[oidc.ID_TOKEN_SESSION_KEY] = result.id_token
    oidc_logout.remember(request, sid=result.sid, person=person)
    if created:
        messages.info(request, _("Velkommen! Du er nå registrert i Systemtilgang."))
    return redirect(result.next_url or landing_url(request))


@require_GET
def logged_out(request):
    messages.success(request, _("Du er logget ut, også fra ID-porten."))
    return redirect("portal:home")


@require_GET
@never_cache
@xframe_options_exempt  # framing is decided by the CSP frame-ancestors below: the issuer only
def frontchannel_logout(request):
    """ID-porten's front-channel logout: end our sessions of the provider's session `sid`.

    Loaded by ID-porten in a hidden iframe; the answer is an empty page either way. A call naming
    another issuer, or no `sid`, ends nothing (400).
    """
    if not oidc.is_enabled():
        raise Http404("ID-porten login is not configured")
    iss, sid = request.GET.get("iss", ""), request.GET.get("sid", "")
    if not oidc_logout.is_our_issuer(iss) or not sid or len(sid) > oidc_logout.MAX_SID_LENGTH:
        log.warning("Front-channel logout refused: issuer %r, sid given: %s", iss[:200], bool(sid))
        status = 400
    else:
        oidc_logout.end_sessions(sid=sid, ip=request.META.get("REMOTE_ADDR"))
        status = 200
    response = HttpResponse(b"", status=status, content_type="text/html; charset=utf-8")
    # Read by ContentSecurityPolicyMiddleware, as @csp_override sets it; the issuer comes from settings.
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [oidc_logout.issuer_origin()]}
    return response


def _failed(request, failure: oidc.LoginFailed):
    log.warning("ID-porten login failed (%s): %s", failure.reason, failure.detail)
    status, heading, text = FAILURES[failure.reason]
    if failure.reason == "acr_too_low":
        text = text % {"level": ACR_NAMES[settings.OIDC_ACR_MIN]}
    context = {"heading": heading, "text": text, "reason": failure.reason}
    return render(request, "portal/oidc_failed.html", context, status=status)

"""The token endpoint and its metadata (CONTRACT §1), and the platform token issuer's OpenID metadata.
Plain Django views: this is a hot path."""

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from lib import arrival, metrics
from lib.tokens import keys
from lib.tokens.access import GRANT_ALGS
from maskinporten import limits
from maskinporten.grants import GRANT_TYPE, SYSTEMUSER_TYPE, GrantError, exchange_grant, refuse_request
from maskinporten.limits import Answer

MAX_TOKEN_REQUEST_BYTES = 32 * 1024  # a grant is a few kB; anything this big is not one
FORM = "application/x-www-form-urlencoded"
NO_STORE = limits.NO_STORE
PUBLIC = {"Cache-Control": "public, max-age=300"}
# Altinn's path for the issuer of platform tokens (GET exchange/maskinporten).
OPENID_CONFIGURATION = "authentication/api/v1/openid/.well-known/openid-configuration"


def _refused(exc: GrantError, ip: str | None) -> Answer:
    metrics.TOKENS_REFUSED.labels(exc.error).inc()
    limits.count_refusal(ip)
    return 400, {"error": exc.error, "error_description": exc.description}, NO_STORE


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def token_answer(request: HttpRequest) -> Answer:
    """/token's answer to a POST: (status, body, headers). Every rule of the endpoint is here, once, apart
    from how the answer is sent: the view below sends it as a JsonResponse (a WSGI entry that skipped
    Django's handler would call this too; docs/performance.md, "Measured and not adopted"). The form is
    Django's own `request.POST` (QueryDict: repeated parameters, the field limit, the charset check)."""
    ip = request.META.get("REMOTE_ADDR")
    wait = limits.address_wait(ip)
    if wait is not None:
        return limits.slow_down(wait)
    if _content_length(request) > MAX_TOKEN_REQUEST_BYTES:
        return _refused(refuse_request("invalid_request", "The request body is too large", ip=ip), ip)
    if request.content_type != FORM:
        return _refused(refuse_request("invalid_request", f"Content-Type must be {FORM}", ip=ip), ip)
    try:
        form = request.POST
    except SuspiciousOperation:  # too big or too many fields, found while reading
        return _refused(refuse_request("invalid_request", "The request body is too large", ip=ip), ip)
    except (BadRequest, UnicodeDecodeError, LookupError):  # a charset other than UTF-8 (RFC 6749 appendix B)
        return _refused(refuse_request("invalid_request", f"The body must be {FORM} in UTF-8", ip=ip), ip)
    for name in ("grant_type", "assertion"):
        if len(form.getlist(name)) > 1:  # RFC 6749 §3.2: parameters must not be repeated
            return _refused(refuse_request("invalid_request", f"{name} is given more than once", ip=ip), ip)
    wait = limits.client_wait(form.get("assertion"))
    if wait is not None:
        return limits.slow_down(wait)
    try:
        body = exchange_grant(
            grant_type=form.get("grant_type"),
            assertion=form.get("assertion"),
            ip=ip,
            arrived=arrival.arrived(request.META),
        )
    except GrantError as exc:
        return _refused(exc, ip)
    metrics.TOKENS_ISSUED.inc()
    return 200, body, NO_STORE


@csrf_exempt
@require_POST
def token(request):
    status, body, headers = token_answer(request)
    return JsonResponse(body, status=status, headers=headers)


@require_GET
def metadata(request):
    base = settings.PORTAL_BASE_URL
    body = {
        "issuer": settings.TOKEN_ISSUER,
        "token_endpoint": f"{base}/token",
        "jwks_uri": f"{base}/jwk",
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(GRANT_ALGS),
        "authorization_details_types_supported": [SYSTEMUSER_TYPE],
    }
    return JsonResponse(body, headers=PUBLIC)


@require_GET
def jwk(request):
    return JsonResponse(keys.jwks(), headers=PUBLIC)


@require_GET
def openid_configuration(request):
    """As Altinn's document for its platform tokens; the members a validator needs (issuer, keys), and
    none for flows we do not offer (no authorization or token endpoint: platform tokens come only from
    GET exchange/maskinporten and GET refresh)."""
    body = {
        "issuer": settings.PLATFORM_TOKEN_ISSUER,
        "jwks_uri": f"{settings.PORTAL_BASE_URL}/{OPENID_CONFIGURATION}/jwks",
        "response_types_supported": ["token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [keys.SIGNING_ALG],
    }
    return JsonResponse(body, headers=PUBLIC)


@require_GET
def platform_jwks(request):
    return JsonResponse(keys.PLATFORM.jwks(), headers=PUBLIC)

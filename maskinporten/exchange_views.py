"""GET /authentication/api/v1/exchange/{tokenProvider} and GET /authentication/api/v1/refresh, as Altinn's.

`maskinporten`: a Maskinporten access token (ours or the external issuer's) for a platform token
(platform_exchange.py); `id-porten`: a person's ID-porten access token for a person token (exchange.py);
`refresh`: a platform token for a fresh one. The token goes in as `Authorization: Bearer …` and the new one
comes back as the plain response body (text/plain). A refusal is a problem (401, or 403 for a missing
ID-porten scope) with no token, logged at INFO and counted in metrics, like every token made.
"""

import logging

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from lib import metrics
from lib.errors import ServiceError
from lib.problems import problem
from lib.tokens.access import InvalidToken
from lib.tokens.authentication import bearer_token
from maskinporten import exchange, platform_exchange
from maskinporten.exchange import ExchangeRefused
from registry.api.serializers import ProblemOut

log = logging.getLogger(__name__)

# kind → (what the caller must send, the service that makes the new token)
SERVICES = {
    "maskinporten": ("the Maskinporten access token", platform_exchange.exchange),
    "id-porten": ("the ID-porten access token", exchange.exchange),
    "refresh": ("the platform token", platform_exchange.refresh),
}
PROVIDERS = ("maskinporten", "id-porten")
# Altinn 2's enterprise users (virksomhetsbruker) went with Altinn 2; Altinn answers 410 to an exchange asking
# for one, and so do we, so that a vendor's old code path fails as it does there.
ENTERPRISE_USER_HEADER = "X-Altinn-EnterpriseUser-Authentication"
ENTERPRISE_USER_GONE = (
    "Virksomhetsbruker (enterprise user) is no longer available. It has been replaced by Systembruker "
    "(system user) or ID-porten, depending on the use case."
)


def _problems(*answers: tuple[int, str]) -> dict:
    return {
        (status, "application/problem+json"): OpenApiResponse(ProblemOut, description=description)
        for status, description in answers
    }


class ExchangeView(APIView):
    """GET exchange/{tokenProvider}: `maskinporten` or `id-porten` (Altinn's `altinnstudio` is not for vendors)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="exchange_token",
        summary="Exchange a Maskinporten token for a platform token, or an ID-porten token for a person token",
        description=(
            "Send the token as `Authorization: Bearer …`; the answer is the new token itself (text/plain).\n\n"
            "`maskinporten`: an access token from `POST /token` (or the configured external Maskinporten) "
            "gives a platform token, accepted by this API, `systemuser/byExternalId` and the PDP like the "
            "access token, with the same scopes. `id-porten`: a person's ID-porten access token with "
            "`altinn:clientdelegations.read`/`.write` gives a person token for the end-user client-delegation API."
        ),
        parameters=[OpenApiParameter("test", bool, required=False, description="Accepted and ignored (Altinn's TT02)")],
        responses={
            (200, "text/plain"): OpenApiResponse(str, description="The platform token or person token (a JWT)"),
            **_problems(
                (400, "Unknown token provider"),
                (401, "Missing, malformed, expired or untrusted token, or the wrong kind of token"),
                (403, "id-porten: the token carries no altinn:clientdelegations scope"),
                (405, "Only GET"),
                (410, f"maskinporten: an enterprise user was asked for ({ENTERPRISE_USER_HEADER})"),
                (503, "id-porten: ID-porten cannot be reached to check the token"),
            ),
        },
        auth=[],
    )
    def get(self, request, provider: str):
        kind = provider.lower()
        if kind not in PROVIDERS:
            raise ServiceError(
                "HTTP-400",
                f"Invalid token provider: {provider[:50]}. "
                "The trusted token providers are 'maskinporten' and 'id-porten'.",
            )
        if kind == "maskinporten" and request.headers.get(ENTERPRISE_USER_HEADER):
            metrics.count_token_exchange(kind, "refused")
            return problem(request, status=410, code="HTTP-410", detail=ENTERPRISE_USER_GONE)
        return token_answer(request, kind)


class RefreshView(APIView):
    """GET refresh: a valid platform token for a new one (Altinn's refresh, for the bearer token)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="refresh_token",
        summary="Refresh a platform token",
        description=(
            "Send a valid platform token as `Authorization: Bearer …`; the answer is a new platform token "
            "(text/plain) with the same claims, living as long as the one sent was made to. Refused when its "
            "client is no longer active or its system user is deleted or no longer lists the client."
        ),
        responses={
            (200, "text/plain"): OpenApiResponse(str, description="The new platform token (a JWT)"),
            **_problems(
                (401, "Missing, invalid or expired platform token, or one that no longer holds"),
                (405, "Only GET"),
            ),
        },
        auth=[],
    )
    def get(self, request):
        return token_answer(request, "refresh")


def token_answer(request, kind: str):
    """Run the kind's service on the bearer token: the new token as text/plain, or a counted refusal."""
    wanted, service = SERVICES[kind]
    token = bearer_token(request)
    try:
        if token is None:
            raise ExchangeRefused(f"Send {wanted} as Authorization: Bearer <token>")
        new_token, _ = service(token, ip=request.META.get("REMOTE_ADDR") or None)
    except InvalidToken as invalid:
        return _refused(request, kind, ExchangeRefused(str(invalid)))
    except ExchangeRefused as refusal:
        return _refused(request, kind, refusal)
    except ServiceError:
        metrics.count_token_exchange(kind, "refused")  # e.g. ID-porten unreachable: a 503 problem
        raise
    metrics.count_token_exchange(kind, "issued")
    response = HttpResponse(new_token, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _refused(request, kind: str, refusal: ExchangeRefused):
    metrics.count_token_exchange(kind, "refused")
    log.info("Token exchange (%s) refused: %s", kind, refusal.detail)
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if refusal.status == 401 else None
    return problem(request, status=refusal.status, code=refusal.code, detail=refusal.detail, headers=headers)

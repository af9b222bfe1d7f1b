"""`POST /authorization/api/v1/authorize` — the hot path: a plain Django view, no DRF, no session.

parse → access (bearer token with the authorize scope) → decide → render. Malformed input is a 400
problem (RFC 9457) and never reaches the decision service, so it can never be a Permit.
"""

import json
import time

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from lib import logs, metrics
from lib.tokens.authentication import authenticate_bearer, bearer_token

from . import decisions, xacml

SCOPE = "altinn:authorization/authorize"
PROBLEM_TYPE = "https://datatracker.ietf.org/doc/html/rfc9457"


def problem(request, status: int, title: str, detail: str, *, code: str, **extra) -> JsonResponse:
    """A problem (RFC 9457) whose traceId is the request id our log lines carry (lib/logs.py)."""
    body = {"type": PROBLEM_TYPE, "title": title, "status": status, "detail": detail, "code": code}
    body.update(extra)
    body["traceId"] = logs.request_id(request.META)
    return JsonResponse(body, status=status, content_type="application/problem+json")


# Verified tokens, per process: a resource owner sends the same token for its whole lifetime, and
# checking an RS256 signature costs more than the decision itself. The claims are reused only for the
# identical token string and only until its `exp`; tokens are stateless, so nothing else can change.
_verified: dict[str, dict] = {}
_VERIFIED_MAX = 1024


def _claims(request) -> dict | None:
    token = bearer_token(request)
    if token is None:
        return None
    claims = _verified.get(token)
    if claims is not None and claims.get("exp", 0) > time.time():
        return claims
    claims = authenticate_bearer(request)
    if claims is not None and isinstance(claims.get("exp"), int | float):
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[token] = claims
    return claims


def _has_scope(claims: dict, scope: str) -> bool:
    scopes = claims.get("scope")
    return isinstance(scopes, str) and scope in scopes.split()


def _wants_explanation(request) -> bool:
    return request.GET.get("explain", "").lower() in {"true", "1", "yes"}


@csrf_exempt
@metrics.PDP_DURATION.time()
def authorize(request):
    if request.method != "POST":
        response = problem(request, 405, "Method not allowed", "Use POST.", code="STD-00405")
        response["Allow"] = "POST"
        return response
    claims = _claims(request)
    if claims is None:
        response = problem(request, 401, "Unauthorized", "A valid bearer token is required.", code="AUTH-00401")
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    if not _has_scope(claims, SCOPE):
        response = problem(request, 403, "Forbidden", f"The token lacks the scope {SCOPE}.", code="AUTH-00403")
        response["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{SCOPE}"'
        return response
    try:
        questions = xacml.parse(json.loads(request.body))
    except RequestDataTooBig:
        return problem(request, 413, "Request too large", "The request body is too large.", code="STD-00413")
    except xacml.XacmlError as error:
        return _invalid(request, error.detail, error.path)
    except (ValueError, UnicodeDecodeError):
        return _invalid(request, "The body is not valid JSON.", "")
    except RecursionError:  # "[[[[…" deeper than the parser's stack
        return _invalid(request, "The body is nested too deeply.", "")
    explain = _wants_explanation(request)
    try:
        answers = decisions.decide_all(questions, explain=explain)
    except Exception:
        metrics.count_indeterminate(len(questions))  # the PDP could not decide: a 500, and counted so
        raise
    metrics.count_decisions(answers)
    return JsonResponse(xacml.render(answers, explain=explain))


def _invalid(request, detail: str, path: str) -> JsonResponse:
    return problem(
        request,
        400,
        "Bad request",
        detail,
        code="STD-00000",
        validationErrors=[
            {"code": "AUTHZ.VLD-00001", "title": "Invalid XACML request", "detail": detail, "paths": [path or "/"]}
        ],
    )

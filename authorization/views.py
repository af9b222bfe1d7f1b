"""`POST /authorization/api/v1/authorize` — the hot path: a plain Django view, no DRF, no session.

parse → access (bearer token with the authorize scope) → decide → render. Malformed input is a 400
problem (lib/problems.py, as the vendor API's) and never reaches the decision service, so it can never
be a Permit.
"""

import json
import time

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from lib import metrics
from lib.problems import problem_response
from lib.tokens.authentication import authenticate_bearer, bearer_token

from . import decisions, xacml

SCOPE = "altinn:authorization/authorize"


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
        return problem_response(request, status=405, code="HTTP-405", detail="Use POST.", headers={"Allow": "POST"})
    claims = _claims(request)
    if claims is None:
        return _refused(request, 401, "A valid bearer token is required.", 'Bearer error="invalid_token"')
    if not _has_scope(claims, SCOPE):
        challenge = f'Bearer error="insufficient_scope", scope="{SCOPE}"'
        return _refused(request, 403, f"The token lacks the scope {SCOPE}.", challenge)
    try:
        questions = xacml.parse(json.loads(request.body))
    except RequestDataTooBig:
        return problem_response(request, status=413, code="HTTP-413", detail="The request body is too large.")
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


def _refused(request, status: int, detail: str, challenge: str) -> JsonResponse:
    code = f"HTTP-{status}"  # as the vendor API's token refusals (lib/problems.py)
    return problem_response(request, status=status, code=code, detail=detail, headers={"WWW-Authenticate": challenge})


def _invalid(request, detail: str, path: str) -> JsonResponse:
    error = {"code": "AUTHZ.VLD-00001", "title": "Invalid XACML request", "detail": detail, "paths": [path or "/"]}
    return problem_response(request, status=400, code="STD-00000", detail=detail, extra={"validationErrors": [error]})

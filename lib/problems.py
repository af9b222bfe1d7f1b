"""Errors of our APIs as application/problem+json (RFC 9457) with Altinn's `code` and a `traceId`: the
one problem builder (`problem_body`) for the vendor API (set as REST_FRAMEWORK["EXCEPTION_HANDLER"]),
Maskinporten's look-up and the PDP. OAuth errors on `/token` are not problems: they stay OAuth JSON.

`type` is the RFC 9110 section of the status and `title` its reason phrase, as ASP.NET (and so Altinn)
writes them. Service errors keep their AUTH code; validation failures carry `code: STD-00000` and
`validationErrors`. HTTP-level refusals that Altinn answers without a code get `HTTP-<status>`
(documented in docs/vendor-api.md) so that every problem has a code.
"""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from lib import logs
from lib.errors import FieldError, RateLimited, ServiceError, ValidationFailed

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
MISSING_VENDOR_CODE = "AUTH-00023"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def trace_id(request) -> str:
    """The request id our log lines carry (lib/logs.py: the trace id of an incoming `traceparent`, else
    the proxy's X-Request-ID, else a fresh one), so support finds the call a vendor quotes the traceId of."""
    meta = getattr(request, "META", None)
    return logs.request_id(meta) if meta is not None else uuid.uuid4().hex


def problem_body(request, *, status: int, code: str, detail: str) -> dict:
    return {
        "type": f"https://datatracker.ietf.org/doc/html/rfc9110#status.{status}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "traceId": trace_id(request),
    }


def problem(request, *, status: int, code: str, detail: str, extra: dict | None = None, headers=None) -> Response:
    body = problem_body(request, status=status, code=code, detail=detail) | (extra or {})
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def problem_response(
    request, *, status: int, code: str, detail: str, extra: dict | None = None, headers=None
) -> JsonResponse:
    """`problem` for a plain Django view (the PDP's hot path, unknown API paths): no DRF in the way."""
    body = problem_body(request, status=status, code=code, detail=detail) | (extra or {})
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


@csrf_exempt
def not_found(request, path: str = ""):
    """The last URL pattern under each API prefix: an unknown path is a 404 problem for every method.

    A browser page's 404 stays Django's HTML page; a vendor's program gets the format it parses. Since the
    pattern matches everything under the prefix, CommonMiddleware's APPEND_SLASH no longer sees these
    paths, so the one redirect it gave (GET `docs` → `docs/`) is made here.
    """
    if request.method in {"GET", "HEAD"} and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return problem_response(request, status=404, code="HTTP-404", detail="There is no API operation at this path.")


def validation_problem(request, errors: list[FieldError]) -> Response:
    return problem(
        request,
        status=400,
        code="STD-00000",
        detail="One or more validation errors occurred.",
        extra={"validationErrors": [e.as_dict() for e in errors]},
    )


def drf_validation_errors(detail, path: str = "") -> list[FieldError]:
    """DRF serializer errors (nested dicts/lists) as FieldErrors with JSON-pointer paths in lower case."""
    if isinstance(detail, dict):
        return [e for key, value in detail.items() for e in drf_validation_errors(value, _join(path, key))]
    if isinstance(detail, list) and detail and all(isinstance(d, exceptions.ErrorDetail) for d in detail):
        return [FieldError(_std_code(d), str(d), [path or "/"]) for d in detail]
    if isinstance(detail, list):
        return [e for i, value in enumerate(detail) for e in drf_validation_errors(value, _join(path, str(i)))]
    return [FieldError(_std_code(detail), str(detail), [path or "/"])]


def _join(path: str, key: str) -> str:
    if key == "non_field_errors":
        return path
    return f"{path}/{str(key).lower()}"


def _std_code(detail) -> str:
    # STD.VLD-00000 is Altinn's "required"; STD.VLD-00001 (ours) is any other malformed value.
    return "STD.VLD-00000" if getattr(detail, "code", "") in {"required", "null"} else "STD.VLD-00001"


def database_unavailable(exc: BaseException | None) -> bool:
    """The database is down, restarting, or cancelled a statement or lock wait (statement_timeout,
    lock_timeout): a 503 with Retry-After, never a 500. Other database errors are bugs and stay 500s."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_headers() -> dict:
    return {"Retry-After": str(settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS)}


UNAVAILABLE_DETAIL = "The service is temporarily unavailable. Try again shortly."
# /token's 503 (config/errors.py; tokend answers it too): OAuth's JSON error, as a token client parses it.
TOKEN_UNAVAILABLE = {"error": "temporarily_unavailable", "error_description": UNAVAILABLE_DETAIL}


def unavailable_problem(request) -> Response:
    logger.warning("Database unavailable: answered 503", exc_info=True)
    return problem(request, status=503, code="HTTP-503", detail=UNAVAILABLE_DETAIL, headers=unavailable_headers())


def exception_handler(exc, context):
    request = context.get("request")
    if database_unavailable(exc):
        return unavailable_problem(request)
    if isinstance(exc, ValidationFailed):
        return validation_problem(request, exc.errors)
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
        return problem(request, status=exc.status, code=exc.code, detail=exc.detail, headers=headers)
    if isinstance(exc, ServiceError):
        return problem(request, status=exc.status, code=exc.code, detail=exc.detail)
    if isinstance(exc, exceptions.ValidationError):
        return validation_problem(request, drf_validation_errors(exc.detail))
    if isinstance(exc, RequestDataTooBig):
        return problem(request, status=413, code="HTTP-413", detail="The request body is too large.")
    if isinstance(exc, Http404):
        return problem(request, status=404, code="HTTP-404", detail="Not found.")
    if isinstance(exc, exceptions.APIException):
        return _api_exception(request, exc)
    logger.exception("Unhandled error in the vendor API", exc_info=exc)
    return None


def _api_exception(request, exc: exceptions.APIException) -> Response:
    status = exc.status_code
    code = f"HTTP-{status}"
    headers = {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        if str(exc.detail) == "Invalid consumer":
            code = MISSING_VENDOR_CODE
        authenticators = getattr(request, "authenticators", None) or []
        if authenticators:
            headers["WWW-Authenticate"] = authenticators[0].authenticate_header(request)
            status = 401
        else:
            status = 403
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    detail = exc.detail if isinstance(exc.detail, str) else "The request was refused."
    return problem(request, status=status, code=code, detail=str(detail), headers=headers or None)

"""The project's 500 handler (`handler500` in config/urls.py): a database that is down, restarting or
slower than its bounds (statement_timeout, lock_timeout) is a 503 with Retry-After in each caller's own
format, never Django's HTML 500.

DRF views get theirs from lib/problems.exception_handler; this handler catches what reaches Django from
everywhere else (the plain views of `/token` and the PDP, middleware, the portal's pages):

- `/token`: OAuth's JSON error (`temporarily_unavailable`), as a token client parses it;
- the PDP and the vendor API: their problem+json with `traceId` (lib/problems.py);
- every other page: a friendly 503 page, rendered without the database (no session, no person).

Any other error stays Django's 500 page (logged as before).
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error

from lib import problems

TOKEN_PATH = "/token"
API_PREFIXES = ("/authorization/api/v1", "/authentication/api/v1")  # the PDP, the vendor API


@requires_csrf_token
def handler500(request):
    exc = sys.exc_info()[1]
    if not problems.database_unavailable(exc):
        return server_error(request)
    problems.logger.warning("Database unavailable: answered 503", exc_info=exc)
    headers = problems.unavailable_headers()
    path = request.path_info.lower()
    if path == TOKEN_PATH:
        return JsonResponse(problems.TOKEN_UNAVAILABLE, status=503, headers={**headers, "Cache-Control": "no-store"})
    if any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES):
        detail = problems.UNAVAILABLE_DETAIL
        return problems.problem_response(request, status=503, code="HTTP-503", detail=detail, headers=headers)
    return HttpResponse(loader.get_template("503.html").render(), status=503, headers=headers)

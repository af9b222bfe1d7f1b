"""The request id on log records, for LOG_FORMAT=json (and any formatter that names %(request_id)s).

config/wsgi.py notes the WSGI environ of the request being handled in a context variable; the id is
only worked out when something is logged, so a request that logs nothing pays for one `set`. The id is
the trace id of a W3C `traceparent` when the caller sends one (so a vendor's own tracing and our logs
meet), else the proxy's `X-Request-ID` when it sends a plausible one (so the proxy's access log and ours
can be joined), else a fresh random one, kept in the environ for the rest of the request. An API
problem's `traceId` is this id (lib/problems.py): support finds a vendor's failed call in the
logs by the traceId the vendor quotes.
"""

import contextvars
import logging
import re
import uuid

current_environ: contextvars.ContextVar[dict | None] = contextvars.ContextVar("current_environ", default=None)

_PLAUSIBLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_KEY = "systembruker.request_id"


def request_id(environ: dict) -> str:
    rid = environ.get(_KEY)
    if rid is None:
        trace = _TRACEPARENT.fullmatch(environ.get("HTTP_TRACEPARENT", "").strip())
        given = environ.get("HTTP_X_REQUEST_ID", "")
        if trace:
            rid = trace.group(1)
        else:
            rid = given if _PLAUSIBLE.fullmatch(given) else uuid.uuid4().hex
        environ[_KEY] = rid
    return rid


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        environ = current_environ.get()
        if environ is not None:
            record.request_id = request_id(environ)
        return True

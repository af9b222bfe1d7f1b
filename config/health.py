"""Health checks for load balancers and orchestrators, answered before Django's request handling.

- `GET /healthz` — liveness: the process runs and answers. Touches nothing else.
- `GET /readyz` — readiness: the database answers and every migration in the code is applied (so a
  rolling deploy does not send traffic to a web process whose schema is not there yet). `503` with
  the failing check named otherwise.

They are plain WSGI apps, dispatched in `config/wsgi.py` before Django's middleware, because probes
come over plain HTTP with the pod's or node's address as Host: the SSL redirect and ALLOWED_HOSTS
would answer them 301/400. They reveal nothing beyond "ok"/"unavailable"/"pending" per check.
Notifications are not a readiness condition: the outbox keeps them while the broker is away.
"""

import json
import logging

from django.core import signals
from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

_all_migrated = False  # once true it stays true for this process (the code's migrations do not change)


def _answer(start_response, status: str, body: dict, method: str) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [] if method == "HEAD" else [data]


def _method_not_allowed(start_response) -> list[bytes]:
    data = b'{"status": "method not allowed"}'
    start_response(
        "405 Method Not Allowed",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Allow", "GET, HEAD")],
    )
    return [data]


def liveness(environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return _method_not_allowed(start_response)
    return _answer(start_response, "200 OK", {"status": "ok"}, method)


def _migrations_applied(connection) -> bool:
    global _all_migrated
    if not _all_migrated:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        _all_migrated = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _all_migrated


def readiness(environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return _method_not_allowed(start_response)
    checks = {}
    # The signals Django's handler sends around each request: they close connections that are broken
    # or older than CONN_MAX_AGE, as for any other request.
    signals.request_started.send(sender=__name__, environ=environ)
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        checks["migrations"] = "ok" if _migrations_applied(connection) else "pending"
    except Exception:  # any failure to reach the database means "not ready", never a 500
        log.warning("readiness check: the database is unavailable", exc_info=True)
        checks["database"] = "unavailable"
    finally:
        signals.request_finished.send(sender=__name__)
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return _answer(start_response, "200 OK" if ready else "503 Service Unavailable", body, method)


PATHS = {"/healthz": liveness, "/readyz": readiness}

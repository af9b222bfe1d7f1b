"""Health probes for load balancers: /healthz (alive) and /readyz (database reachable, schema current)."""

import json

import pytest
from django.db import OperationalError
from django.db.migrations.executor import MigrationExecutor

from config import health
from tests.wsgi_calls import call as _call
from tests.wsgi_calls import keep_the_test_connection  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("keep_the_test_connection")


@pytest.fixture(autouse=True)
def _forget_migration_state(monkeypatch):
    monkeypatch.setattr(health, "_all_migrated", False)


def test_liveness_answers_ok_without_touching_the_database():
    # No django_db mark: any database access here would fail the test.
    status, headers, body = _call("/healthz")
    assert status == "200 OK"
    assert json.loads(body) == {"status": "ok"}
    assert headers["Cache-Control"] == "no-store"


def test_probes_are_answered_for_any_host_and_over_plain_http(settings):
    # Orchestrators probe with the pod's address as Host and without TLS; the portal itself would
    # answer 400 (ALLOWED_HOSTS) or 301 (SSL redirect).
    settings.ALLOWED_HOSTS = ["systemtilgang.example.no"]
    settings.SECURE_SSL_REDIRECT = True
    status, _, _ = _call("/healthz", host="10.1.2.3:8000")
    assert status == "200 OK"
    portal_status, _, _ = _call("/", host="10.1.2.3:8000")
    assert portal_status.startswith("400")


@pytest.mark.django_db
def test_readiness_is_ok_when_the_database_answers_and_migrations_are_applied():
    status, _, body = _call("/readyz")
    assert status == "200 OK"
    assert json.loads(body) == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


@pytest.mark.django_db
def test_readiness_is_503_while_migrations_are_pending(monkeypatch):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("registry", "9999_new")])
    status, _, body = _call("/readyz")
    assert status == "503 Service Unavailable"
    assert json.loads(body)["checks"] == {"database": "ok", "migrations": "pending"}


@pytest.mark.django_db
def test_readiness_is_503_not_500_when_the_database_is_unreachable(monkeypatch):
    from django.db import connections

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    status, headers, body = _call("/readyz")
    assert status == "503 Service Unavailable"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "unavailable", "checks": {"database": "unavailable"}}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_other_methods(path):
    status, headers, _ = _call(path, "POST")
    assert status.startswith("405")
    assert headers["Allow"] == "GET, HEAD"


def test_head_gives_the_status_without_a_body():
    status, headers, body = _call("/healthz", "HEAD")
    assert status == "200 OK" and body == b""

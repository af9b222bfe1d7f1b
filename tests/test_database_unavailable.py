"""While the database is down (or a statement or lock wait ran past its bound), every caller gets a 503
with Retry-After in the format it parses, never Django's HTML 500 (config/errors.py, lib/problems.py).

The calls go through config.wsgi.application as gunicorn makes them; "down" is the connection refusing
to give a cursor, as psycopg does while PostgreSQL restarts.
"""

import json
import time
import uuid
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, ProgrammingError, connections

from tests import factories as f
from tests.authorization.test_authorize_api import single
from tests.maskinporten.helpers import GRANT_TYPE, bearer_for, grant_setup
from tests.wsgi_calls import (
    call,
    keep_the_test_connection,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]

PDP = "/authorization/api/v1/authorize"
PDP_SCOPE = "altinn:authorization/authorize"


def database(error: Exception):
    return mock.patch.object(connections["default"], "ensure_connection", side_effect=error)


def down():
    return database(OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused"))


def token_form(assertion: str) -> bytes:
    return urlencode({"grant_type": GRANT_TYPE, "assertion": assertion}).encode()


def test_the_token_endpoint_answers_oauth_json_503(vendor, customer, system):
    setup = grant_setup(vendor, customer, system)
    with down():
        status, headers, body = call("/token", "POST", token_form(setup.grant()), "application/x-www-form-urlencoded")
    assert status.startswith("503")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "temporarily_unavailable"
    assert headers["Retry-After"] == "5"
    assert headers["Cache-Control"] == "no-store"


def test_the_pdp_answers_its_problem_with_a_trace_id(customer):
    auth = bearer_for(f.make_org("Skatteetaten"), PDP_SCOPE)
    request = single(uuid.uuid4(), "read", "ske-krav-og-betalinger", customer.orgno)
    with down():
        status, headers, body = call(
            PDP, "POST", json.dumps(request).encode(), "application/json", HTTP_AUTHORIZATION=auth
        )
    assert status.startswith("503")
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 503 and problem["code"] == "HTTP-503" and len(problem["traceId"]) == 32
    assert headers["Retry-After"] == "5"


def test_the_vendor_api_answers_its_problem_with_a_trace_id(vendor):
    auth = bearer_for(vendor, "altinn:authentication/systemregister.write")
    with down():
        status, headers, body = call(
            "/authentication/api/v1/systemregister/vendor", HTTP_AUTHORIZATION=auth, HTTP_X_REQUEST_ID="edge-42"
        )
    assert status.startswith("503")
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["code"] == "HTTP-503" and problem["title"] == "Service Unavailable"
    assert problem["traceId"] == "edge-42"
    assert headers["Retry-After"] == "5"


def test_a_portal_page_is_a_friendly_503(db):
    with down():
        # A logged-in person: the session is read from the database.
        cookie = "sessionid=" + "s" * 32
        status, headers, body = call("/systemuser/", HTTP_ACCEPT_LANGUAGE="en", HTTP_COOKIE=cookie)
    assert status.startswith("503")
    assert headers["Content-Type"].startswith("text/html")
    assert "temporarily unavailable" in body.decode()
    assert headers["Retry-After"] == "5"


def test_a_lock_wait_past_its_bound_is_a_503_too(vendor):
    # PostgreSQL's lock_timeout and statement_timeout cancel the statement: psycopg's QueryCanceled and
    # LockNotAvailable are OperationalErrors.
    auth = bearer_for(vendor, "altinn:authentication/systemregister.write")
    with database(OperationalError("canceling statement due to lock timeout")):
        status, _, _ = call("/authentication/api/v1/systemregister/vendor", HTTP_AUTHORIZATION=auth)
    assert status.startswith("503")


def test_a_bug_in_a_query_stays_a_500(vendor):
    auth = bearer_for(vendor, "altinn:authentication/systemregister.write")
    with database(ProgrammingError('relation "registry_system" does not exist')):
        status, headers, _ = call("/authentication/api/v1/systemregister/vendor", HTTP_AUTHORIZATION=auth)
    assert status.startswith("500")
    assert "Retry-After" not in headers


def test_a_grant_that_waited_at_the_balancer_is_judged_by_its_arrival(vendor, customer, system, settings):
    # 15 s queued behind a lock: the grant was fresh when the balancer received it (X-Request-Start).
    settings.PROXY_COUNT = 1
    setup = grant_setup(vendor, customer, system)
    arrived = time.time() - 15
    grant = setup.grant(iat=int(arrived), exp=int(arrived) + 60)
    form = token_form(grant)
    start = {"HTTP_X_REQUEST_START": f"t={int(arrived * 1e6)}"}
    status, _, body = call("/token", "POST", form, "application/x-www-form-urlencoded", **start)
    assert status.startswith("200"), body
    stale = setup.grant(iat=int(arrived), exp=int(arrived) + 60)
    status, _, body = call("/token", "POST", token_form(stale), "application/x-www-form-urlencoded")
    assert status.startswith("400") and b"iat must be within" in body


def test_a_forged_arrival_long_ago_is_not_believed(vendor, customer, system, settings):
    settings.PROXY_COUNT = 1
    setup = grant_setup(vendor, customer, system)
    long_ago = time.time() - 300
    grant = setup.grant(iat=int(long_ago), exp=int(long_ago) + 60)
    start = {"HTTP_X_REQUEST_START": f"t={long_ago:.3f}"}
    status, _, body = call("/token", "POST", token_form(grant), "application/x-www-form-urlencoded", **start)
    assert status.startswith("400") and b"JWT is expired" in body


@pytest.fixture
def customer_to_choose(db, client):
    """A logged-in manager of two organisations (the login acts for neither): choosing one saves the session."""
    manager, customer = f.make_person("Kari"), f.make_org("Klient AS")
    f.give_role(manager, "DAGL", customer)
    f.give_role(manager, "DAGL", f.make_org("Annen AS"))
    client.post("/login/test/", {"pid": manager.pid})
    client.raise_request_exception = False
    return customer


def test_a_page_that_saves_the_session_while_the_database_is_away_is_a_503_not_a_400(client, customer_to_choose):
    # The approval page switches whom the person acts for, which saves the session on a GET. Django's
    # database sessions turn any error on that save into "session interrupted" (400): during a
    # PostgreSQL restart the manager was told the request was invalid (config/sessions.py).
    with mock.patch("django.contrib.sessions.models.Session.save", side_effect=OperationalError("server closed")):
        response = client.post("/actor/", {"orgno": customer_to_choose.orgno})
    assert response.status_code == 503 and response["Retry-After"] == "5"


def test_a_session_deleted_during_the_request_is_still_djangos_session_interrupted(client, customer_to_choose):
    from django.contrib.sessions.models import Session

    real_save = Session.save

    def deleted_meanwhile(self, *args, **kwargs):
        Session.objects.filter(pk=self.pk).delete()  # a logout in another tab
        return real_save(self, *args, **kwargs)

    with mock.patch.object(Session, "save", deleted_meanwhile):
        response = client.post("/actor/", {"orgno": customer_to_choose.orgno})
    assert response.status_code == 400

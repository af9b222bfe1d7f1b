"""Front-channel logout: a logout at ID-porten ends our sessions of that ID-porten session (`sid`).

Logins go through the real test provider (it puts `sid` in the id_token, as ID-porten does); the
provider's iframe call is made here with Django's test client. tests/e2e has the real iframe.
"""

import base64
import json

import pytest
from django.test import Client

from portal.models import OidcSession
from registry.models import AuditEvent
from tests import factories as f
from tests.oidc_provider.fixtures import ProviderVisit, pid_of, query_of
from tests.portal.test_oidc_login import log_in

pytestmark = pytest.mark.django_db

KARI = pid_of("Kari")
HANS = pid_of("Hans")
URL = "/login/oidc/frontchannel-logout/"


def sid_of(client) -> str:
    id_token = client.session["oidc_id_token"]
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


def logged_in(client) -> bool:
    return client.get("/actor/").status_code == 200


def logouts():
    return AuditEvent.objects.filter(action="person.logout")


@pytest.fixture
def kari(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    log_in(client, KARI)
    assert logged_in(client)
    return client


def test_a_login_remembers_the_id_portens_session_for_this_session(kari):
    row = OidcSession.objects.get()
    assert row.sid == sid_of(kari) and row.sid
    assert row.session_key == kari.session.session_key
    assert row.person.pid == KARI


def test_a_logout_at_id_porten_ends_the_portal_session_and_is_audited(kari, oidc_settings):
    sid = sid_of(kari)
    response = Client().get(URL, {"iss": oidc_settings.OIDC_ISSUER, "sid": sid}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response.content == b""
    assert not logged_in(kari)
    event = logouts().get()
    assert event.actor == f"person:{KARI}" and event.data == {"method": "oidc-frontchannel"}
    assert event.ip == "10.1.2.3"
    assert not OidcSession.objects.exists()


def test_the_answer_may_be_framed_by_the_issuer_only_and_is_not_cached(kari, oidc_settings):
    response = Client().get(URL, {"iss": oidc_settings.OIDC_ISSUER, "sid": sid_of(kari)})
    csp = response["Content-Security-Policy"]
    assert f"frame-ancestors {oidc_settings.OIDC_ISSUER}" in csp
    assert "'none'" not in csp.split("frame-ancestors")[1].split(";")[0]
    assert "default-src 'self'" in csp  # the rest of the policy stays
    assert "X-Frame-Options" not in response
    assert "no-store" in response["Cache-Control"]


def test_other_pages_still_refuse_every_frame(client):
    response = client.get("/login/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_every_portal_session_of_that_id_porten_session_ends_and_only_those(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    f.make_person("Hans Høy", pid=HANS)
    kari_at_idporten = ProviderVisit()
    first, second, hans = client, Client(), Client()
    log_in(first, KARI, visit=kari_at_idporten)
    log_in(second, KARI, visit=kari_at_idporten)  # a second tab/login in the same ID-porten session
    log_in(hans, HANS)
    assert sid_of(first) == sid_of(second) != sid_of(hans)

    Client().get(URL, {"iss": oidc_settings.OIDC_ISSUER, "sid": sid_of(first)})
    assert not logged_in(first) and not logged_in(second)
    assert logged_in(hans)
    assert logouts().count() == 2


@pytest.mark.parametrize(
    "params",
    [
        {"iss": "https://idporten.evil.example"},
        {"iss": ""},
        {"sid": ""},
        {"sid": "x" * 256},
    ],
)
def test_a_call_naming_another_issuer_or_no_sid_ends_nothing(kari, oidc_settings, params, caplog):
    query = {"iss": oidc_settings.OIDC_ISSUER, "sid": sid_of(kari)} | params
    response = Client().get(URL, query)
    assert response.status_code == 400
    assert logged_in(kari)
    assert not logouts().exists()
    assert "Front-channel logout refused" in caplog.text


def test_an_unknown_or_repeated_sid_is_a_quiet_200(kari, oidc_settings):
    issuer = oidc_settings.OIDC_ISSUER
    assert Client().get(URL, {"iss": issuer, "sid": "not-a-session-of-ours"}).status_code == 200
    assert logged_in(kari)
    sid = sid_of(kari)
    assert Client().get(URL, {"iss": issuer, "sid": sid}).status_code == 200
    assert Client().get(URL, {"iss": issuer, "sid": sid}).status_code == 200
    assert logouts().count() == 1


def test_a_session_the_person_already_ended_is_not_audited_again(kari, oidc_settings):
    sid = sid_of(kari)
    kari.post("/logout/")
    assert Client().get(URL, {"iss": oidc_settings.OIDC_ISSUER, "sid": sid}).status_code == 200
    assert not logouts().exists()


@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.cached_db"]
)
def test_it_works_with_the_other_server_side_session_engines(settings, oidc_settings, engine):
    settings.SESSION_ENGINE = engine
    f.make_person("Kari Nordmann", pid=KARI)
    browser = Client()
    log_in(browser, KARI)
    assert logged_in(browser)
    Client().get(URL, {"iss": oidc_settings.OIDC_ISSUER, "sid": sid_of(browser)})
    assert not logged_in(browser)
    assert logouts().count() == 1


def test_only_get_is_answered(kari, oidc_settings):
    response = Client().post(URL, {"iss": oidc_settings.OIDC_ISSUER, "sid": sid_of(kari)})
    assert response.status_code == 405
    assert logged_in(kari)


def test_without_id_porten_there_is_no_front_channel_logout(client, settings):
    settings.OIDC_ENABLED = False
    assert client.get(URL, {"iss": "https://idporten.no", "sid": "x"}).status_code == 404


def test_a_test_login_is_not_touched(client, oidc_settings):
    f.make_person("Kari Nordmann", pid=KARI)
    client.post("/login/test/", {"pid": KARI})
    assert not OidcSession.objects.exists()
    assert logged_in(client)


def test_an_id_token_without_sid_still_logs_in_and_remembers_nothing(client, stub_provider):
    start = client.get("/login/oidc/")
    stub_provider.nonce = query_of(start["Location"])["nonce"]
    response = client.get("/login/oidc/callback/", {"code": "c", "state": query_of(start["Location"])["state"]})
    assert response.status_code == 302 and response["Location"] == "/actor/"
    assert not OidcSession.objects.exists()


@pytest.mark.parametrize("sid", [12345, "", "x" * 256, ["a"]])
def test_an_odd_sid_claim_is_ignored_and_the_login_goes_on(client, stub_provider, sid):
    start = client.get("/login/oidc/")
    params = query_of(start["Location"])
    stub_provider.nonce = params["nonce"]
    stub_provider.claims_override = {"sid": sid}
    response = client.get("/login/oidc/callback/", {"code": "c", "state": params["state"]})
    assert response.status_code == 302 and response["Location"] == "/actor/"
    assert not OidcSession.objects.exists()

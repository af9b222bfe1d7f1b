"""tokend answers good system-user grants as the application would, and hands everything else to it.

The differential tests send the same request to the application directly and through tokend and expect
the same answer; `Tokend.issued()` tells which of the two answered (tokend logs each token it issues)."""

import io
import json
import socketserver
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from lib.identifiers import make_orgno
from lib.tokens import keys
from lib.tokens.access import verify_access_token
from maskinporten import tokend as tokend_config
from maskinporten.models import ClientKey, UsedGrant
from registry.models import SystemUser, SystemUserUsage
from tests.maskinporten.helpers import (
    DEMO_SCOPE,
    good_claims,
    raw_jws,
    systemuser_details,
)
from tests.tokend.conftest import FORM, request, start, token_form

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def same_answer(tokend, make_body, **kwargs):
    """The application's answer and tokend's to the same request, built once for each (a good grant can
    be spent once): the same status, body (but the token itself) and headers."""
    direct = tokend.post_token(make_body(), direct=True, **kwargs)
    through = tokend.post_token(make_body(), **kwargs)
    assert through.status == direct.status, (through.body, direct.body)
    if not direct.headers.get("content-type", "").startswith("application/json"):  # a page (with its nonce)
        assert through.headers["content-type"] == direct.headers["content-type"]
        return through
    ours, theirs = through.json(), direct.json()
    if direct.status == 200:
        ours.pop("access_token"), theirs.pop("access_token")
    assert ours == theirs
    for name in ("content-type", "cache-control", "retry-after", "x-content-type-options", "referrer-policy"):
        assert through.headers.get(name) == direct.headers.get(name), name
    return through


def another_orgno() -> str:
    """A valid organisation number nobody in the test has."""
    return next(o for o in (make_orgno(str(n)) for n in range(31000000, 31000100)) if o)


# --- what tokend answers itself --------------------------------------------------------------------


def test_a_good_grant_gets_the_applications_token_from_tokend(tokend, setup, vendor, customer, system):
    python = tokend.grant(setup.grant(), direct=True)
    answer = tokend.grant(setup.grant(jti="from-tokend"))
    assert answer.status == 200 == python.status
    assert [fact["jti"] for fact in tokend.issued()] == ["from-tokend"]
    ours, theirs = answer.json(), python.json()
    assert set(ours) == set(theirs) == {"access_token", "token_type", "expires_in", "scope", "authorization_details"}
    assert {k: ours[k] for k in ours if k != "access_token"} == {k: theirs[k] for k in theirs if k != "access_token"}
    claims, python_claims = verify_access_token(ours["access_token"]), verify_access_token(theirs["access_token"])
    assert jwt.get_unverified_header(ours["access_token"]) == {
        "alg": "RS256",
        "kid": keys.current_key().kid,
        "typ": "at+jwt",
    }
    varying = {"iat", "exp", "jti"}
    assert {k: v for k, v in claims.items() if k not in varying} == {
        k: v for k, v in python_claims.items() if k not in varying
    }
    assert claims["exp"] - claims["iat"] == settings.TOKEN_LIFETIME_SECONDS
    assert claims["jti"] != python_claims["jti"]
    assert claims["authorization_details"][0]["systemuser_id"] == [str(setup.system_user.id)]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_token_from_tokend_is_counted_in_the_system_users_usage(tokend, setup):
    tokend.grant(setup.grant(jti="one"))
    tokend.grant(setup.grant(jti="two"))
    assert len(tokend.issued()) == 2
    row = SystemUserUsage.objects.get()
    assert (row.system_user_id, row.issued, row.last_client_id, row.kid) == (
        setup.system_user.id,
        2,
        setup.client.client_id,
        setup.kid,
    )
    assert UsedGrant.objects.filter(client_id=setup.client.client_id, jti__in=["one", "two"]).count() == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": "client-fakturering"},
        {"nbf": "now"},
        {"scope": f"{DEMO_SCOPE} altinn:demo/other {DEMO_SCOPE}"},
        {"headers": {"typ": "JWT"}},
    ],
    ids=["sub", "nbf", "two-scopes-one-twice", "typ-JWT"],
)
def test_every_ordinary_form_of_a_good_grant_is_answered_by_tokend(tokend, setup, overrides):
    if overrides.get("nbf") == "now":
        overrides = {"nbf": int(time.time())}
    direct = tokend.grant(setup.grant(**overrides), direct=True)
    answer = tokend.grant(setup.grant(**overrides))
    assert answer.status == 200 == direct.status
    assert answer.json()["scope"] == direct.json()["scope"]
    assert len(tokend.issued()) == 1


def test_a_grant_with_an_external_ref_finds_that_system_user(tokend, setup, customer, system):
    other = SystemUser.objects.create(integration_title="Lønn", owner=customer, system=system, external_ref="lonn")
    answer = tokend.grant(setup.grant(details=systemuser_details(customer.orgno, externalRef="lonn")))
    assert answer.status == 200
    assert answer.json()["authorization_details"][0]["systemuser_id"] == [str(other.id)]
    assert len(tokend.issued()) == 1


# --- what tokend hands to the application, which answers as always --------------------------------


def test_a_replayed_grant_is_refused_by_the_application(tokend, setup):
    grant = setup.grant()
    assert tokend.grant(grant).status == 200
    again = tokend.grant(grant)
    assert again.status == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Grant is used before"}
    assert len(tokend.issued()) == 1


def _now() -> int:
    return int(time.time())


OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
# Each: a grant the application refuses, or a good but unusual one that tokend leaves to it (GOOD). Built
# from the GrantSetup `s`, once for each side; both must get the same answer.
GOOD = {
    "alg-RS384",
    "header-typ-other",
    "scope-tab",
    "details-missing",
    "details-field-case",
    "details-externalref-lowercase",
}
CASES = {
    "alg-HS256": lambda s: raw_jws({"alg": "HS256", "kid": s.kid}, good_claims(s)),
    "alg-RS384": lambda s: s.grant(alg="RS384"),
    "alg-none": lambda s: raw_jws({"alg": "none", "kid": s.kid}, good_claims(s), key=False),
    "header-jku": lambda s: s.grant(headers={"jku": "https://evil.example/jwks"}),
    "header-typ-at+jwt": lambda s: s.grant(headers={"typ": "at+jwt"}),
    "header-typ-other": lambda s: s.grant(headers={"typ": "JOSE"}),
    "kid-malformed": lambda s: raw_jws({"alg": "RS256", "kid": "a b"}, good_claims(s)),
    "kid-ours": lambda s: raw_jws({"alg": "RS256", "kid": keys.current_key().kid}, good_claims(s)),
    "kid-unknown": lambda s: raw_jws({"alg": "RS256", "kid": "no-such-kid"}, good_claims(s)),
    "duplicate-member": lambda s: raw_jws(
        {"alg": "RS256", "kid": s.kid}, json.dumps(good_claims(s))[:-1] + f', "iss": "{s.client.client_id}"}}'
    ),
    "duplicate-header-member": lambda s: raw_jws(
        f'{{"alg": "RS256", "kid": "{s.kid}", "kid": "{s.kid}"}}', good_claims(s)
    ),
    "nul-in-jti": lambda s: s.grant(jti="a\x00b"),
    "lone-surrogate": lambda s: raw_jws(
        {"alg": "RS256", "kid": s.kid}, json.dumps(good_claims(s))[:-1] + ', "x": "\\ud800"}'
    ),
    "nan": lambda s: raw_jws({"alg": "RS256", "kid": s.kid}, json.dumps(good_claims(s))[:-1] + ', "nbf": NaN}'),
    "aud-wrong": lambda s: s.grant(audience="https://elsewhere.example/"),
    "aud-list": lambda s: s.grant(audience=[settings.TOKEN_ISSUER]),
    "sub-other": lambda s: s.grant(sub="someone-else"),
    "exp-past": lambda s: s.grant(iat=_now() - 5, exp=_now() - 1),
    "exp-string": lambda s: s.grant(exp=str(_now() + 60)),
    "iat-bool": lambda s: s.grant(iat=True),
    "iat-future": lambda s: s.grant(iat=_now() + 30, exp=_now() + 60),
    "lifetime-too-long": lambda s: s.grant(iat=_now(), exp=_now() + 121),
    "nbf-future": lambda s: s.grant(nbf=_now() + 30),
    "jti-missing": lambda s: s.grant(jti=None),
    "jti-too-long": lambda s: s.grant(jti="j" * 201),
    "jti-number": lambda s: s.grant(jti=7),
    "unknown-claim": lambda s: s.grant(extra="x"),
    "scope-missing": lambda s: s.grant(scope=None),
    "scope-blank": lambda s: s.grant(scope="   "),
    "scope-not-allowed": lambda s: s.grant(scope="altinn:demo/krav.write"),
    "scope-malformed": lambda s: s.grant(scope='altinn:"x'),
    "scope-tab": lambda s: s.grant(scope=f"{DEMO_SCOPE}\taltinn:demo/other"),
    "details-missing": lambda s: s.grant(details=False),
    "details-not-list": lambda s: s.grant(details={"type": "urn:altinn:systemuser"}),
    "details-two": lambda s: s.grant(details=systemuser_details(s.owner_orgno) * 2),
    "details-type": lambda s: s.grant(details=[{**systemuser_details(s.owner_orgno)[0], "type": "urn:other"}]),
    "details-unknown-field": lambda s: s.grant(details=systemuser_details(s.owner_orgno, x=1)),
    "details-field-case": lambda s: s.grant(
        details=[
            {"TYPE": "urn:altinn:systemuser", "systemuser_org": systemuser_details(s.owner_orgno)[0]["systemuser_org"]}
        ]
    ),
    "details-externalref-lowercase": lambda s: s.grant(
        details=systemuser_details(s.owner_orgno, externalref=s.owner_orgno)
    ),
    "details-externalref-empty": lambda s: s.grant(details=systemuser_details(s.owner_orgno, externalRef="")),
    "details-externalref-unknown": lambda s: s.grant(details=systemuser_details(s.owner_orgno, externalRef="nope")),
    "org-checksum": lambda s: s.grant(
        details=systemuser_details(s.owner_orgno[:8] + str((int(s.owner_orgno[8]) + 1) % 10))
    ),
    "org-authority": lambda s: s.grant(
        details=[{"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "x", "ID": f"0192:{s.owner_orgno}"}}]
    ),
    "org-icd": lambda s: s.grant(
        details=[
            {
                "type": "urn:altinn:systemuser",
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0007:{s.owner_orgno}"},
            }
        ]
    ),
    "org-without-system-user": lambda s: s.grant(details=systemuser_details(another_orgno())),
    "signed-by-another-key": lambda s: raw_jws({"alg": "RS256", "kid": s.kid}, good_claims(s), key=OTHER_KEY),
    "client-unknown": lambda s: s.grant(iss="no-such-client"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_what_tokend_does_not_answer_the_application_answers_as_always(tokend, setup, case):
    answer = same_answer(tokend, lambda: token_form(CASES[case](setup)))
    assert answer.status == (200 if case in GOOD else 400), answer.body
    assert tokend.issued() == []


@pytest.mark.parametrize(
    "body, content_type",
    [
        (lambda s: token_form(s.grant(), scope="x"), FORM),  # another field
        (lambda s: token_form(s.grant()) + b"&assertion=x", FORM),  # a repeated field
        (lambda s: token_form(s.grant(), grant_type="client_credentials"), FORM),
        (lambda s: token_form(""), FORM),
        (lambda s: token_form(s.grant()), "application/json"),
        (lambda s: token_form(s.grant()), FORM + "; charset=utf-8"),  # good, only unusual
        (lambda s: token_form(s.grant()) + b"&x=" + b"y" * 40_000, FORM),  # too large
        (lambda s: token_form(s.grant()).replace(b"assertion=", b"assertion=%ZZ"), FORM),
    ],
    ids=["extra-field", "repeated", "grant-type", "empty-assertion", "json", "charset", "too-large", "bad-escape"],
)
def test_an_unusual_form_is_answered_by_the_application(tokend, setup, body, content_type):
    same_answer(tokend, lambda: body(setup), content_type=content_type)
    assert tokend.issued() == []


def test_a_client_key_named_as_our_signing_key_does_not_make_a_grant(tokend, setup):
    """A vendor may choose its key's kid: one that names our signing key is refused by the application
    (an access token of ours must never pass as a grant), so tokend must not answer it."""
    ours = keys.current_key().kid
    ClientKey.objects.create(client=setup.client, kid=ours, public_jwk=ClientKey.objects.get(kid=setup.kid).public_jwk)
    answer = same_answer(tokend, lambda: token_form(setup.grant(kid=ours)))
    assert answer.status == 400
    assert tokend.issued() == []


def test_a_host_the_application_does_not_serve_is_answered_by_the_application(tokend, setup):
    answer = same_answer(tokend, lambda: token_form(setup.grant()), headers={"Host": "evil.example"})
    assert answer.status == 400
    assert tokend.issued() == []


def test_over_plain_http_where_the_application_redirects_to_https_tokend_answers_nothing(run_tokend, setup):
    https = {"ssl_redirect": True, "https_header": ["x-forwarded-proto", "https"], "hsts": "max-age=60"}
    behind_a_balancer = run_tokend(**https, proxy_count=1)
    behind_a_balancer.post_token(token_form(setup.grant()))  # the application's answer (no redirect in tests)
    assert behind_a_balancer.issued() == []
    secure = behind_a_balancer.post_token(token_form(setup.grant()), headers={"X-Forwarded-Proto": "https"})
    assert secure.status == 200
    assert secure.headers["strict-transport-security"] == "max-age=60"
    assert len(behind_a_balancer.issued()) == 1
    # With no proxy in front of tokend, a client's own X-Forwarded-Proto is not believed.
    at_the_edge = run_tokend(**https)
    at_the_edge.post_token(token_form(setup.grant()), headers={"X-Forwarded-Proto": "https"})
    assert at_the_edge.issued() == []


def test_other_paths_and_methods_reach_the_application(tokend, setup):
    for method, path in [
        ("GET", "/token"),
        ("GET", "/jwk"),
        ("GET", "/.well-known/oauth-authorization-server"),
    ]:
        direct, through = request(tokend.app_url, method, path), request(tokend.url, method, path)
        assert (through.status, through.body) == (direct.status, direct.body), path
    missing = request(tokend.url, "GET", "/nowhere")
    assert missing.status == 404
    assert "Fant ikke siden" in missing.body.decode()
    assert tokend.issued() == []


# --- what makes a token trustworthy, through tokend ------------------------------------------------


def test_a_deleted_system_user_gets_no_token_on_the_next_call(tokend, setup):
    assert tokend.grant(setup.grant()).status == 200
    SystemUser.objects.filter(pk=setup.system_user.pk).update(is_deleted=True)
    answer = tokend.grant(setup.grant())
    assert answer.status == 400
    assert answer.json()["error"] == "invalid_altinn_customer_configuration"
    assert len(tokend.issued()) == 1


def test_a_retired_key_gets_no_token_on_the_next_call(tokend, setup):
    assert tokend.grant(setup.grant()).status == 200
    ClientKey.objects.filter(kid=setup.kid).update(retired_at=timezone.now())
    assert tokend.grant(setup.grant()).status == 400
    assert len(tokend.issued()) == 1


def test_a_deactivated_client_gets_no_token_on_the_next_call(tokend, setup):
    assert tokend.grant(setup.grant()).status == 200
    type(setup.client).objects.filter(pk=setup.client.pk).update(is_active=False)
    assert tokend.grant(setup.grant()).status == 400
    assert len(tokend.issued()) == 1


def test_the_same_grant_sent_at_once_gets_one_token(tokend, setup):
    grant = setup.grant()
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: tokend.grant(grant), range(6)))
    assert sorted(a.status for a in answers) == [200] + [400] * 5
    assert SystemUserUsage.objects.get().issued == 1


def test_too_many_requests_from_a_client_are_slowed_down_as_the_application_does(run_tokend, tokend_settings, setup):
    tokend_settings.TOKEN_RATE_PER_CLIENT = 2
    tokend = run_tokend()
    cache.clear()  # the counters of this minute (Redis in CI) start at zero
    if time.time() % 60 > 45:
        time.sleep(60 - time.time() % 60)  # all three in one minute's window
    answers = [tokend.grant(setup.grant()) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[2].json() == {
        "error": "slow_down",
        "error_description": "Too many token requests; retry after the given seconds",
    }
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    assert SystemUserUsage.objects.get().issued == 2  # the slowed-down grant was not spent


def test_a_forged_forwarded_for_does_not_pass_as_the_clients_address(tokend, setup, caplog):
    body = token_form(setup.grant(aud="x"))
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        tokend.post_token(body, headers={"X-Forwarded-For": "203.0.113.9"})
    refused = [r.token for r in caplog.records if r.getMessage().startswith("token refused")]
    assert [fact["ip"] for fact in refused] == ["127.0.0.1"]
    good = tokend.post_token(token_form(setup.grant()), headers={"X-Forwarded-For": "203.0.113.9"})
    assert good.status == 200
    assert tokend.issued()[0]["ip"] == "127.0.0.1"


def test_when_its_database_connections_break_the_application_answers_and_tokend_reconnects(tokend, setup):
    assert tokend.grant(setup.grant()).status == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tokend'")
        assert len(cursor.fetchall()) >= 2  # its two connections (and any of an earlier test's, closing)
    answers = [tokend.grant(setup.grant()) for _ in range(4)]
    # None lost (a request met by a broken connection goes to the application), and tokend answers again.
    assert [a.status for a in answers] == [200] * 4
    assert len(tokend.issued()) >= 2
    assert SystemUserUsage.objects.get().issued == 5


def test_the_configuration_is_written_for_the_operator(tokend_settings, tmp_path):
    out = tmp_path / "tokend.json"
    call_command("tokend_config", str(out), "--connections", "3", stdout=io.StringIO())
    assert out.stat().st_mode & 0o777 == 0o600  # it holds the database password
    written = json.loads(out.read_text())
    assert (written["connections"], written["proxy_count"]) == (3, 0)
    assert written["version"] == tokend_config.rules_version()
    tokend_settings.PROXY_COUNT = 0
    with pytest.raises(CommandError, match="tokend is a proxy in front of the application: set PROXY_COUNT"):
        call_command("tokend_config", str(out), stdout=io.StringIO())


def _write_key(path: Path) -> str:
    """A new RSA key in `path` (PEM), and its kid as the application computes it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.with_suffix(".tmp").write_bytes(pem)
    path.with_suffix(".tmp").rename(path)  # in one step, as the rotation in docs/operations.md
    return keys.jwk_thumbprint(keys.public_jwk_of(key.public_key()))


def test_a_rotated_signing_key_signs_within_seconds_without_a_restart(run_tokend, tokend_settings, setup, tmp_path):
    first = _write_key(tmp_path / "current.pem")
    tokend_settings.TOKEN_SIGNING_KEY_FILES = [str(tmp_path / "current.pem"), str(tmp_path / "next.pem")]
    tokend = run_tokend()
    assert jwt.get_unverified_header(tokend.grant(setup.grant()).json()["access_token"])["kid"] == first
    second = _write_key(tmp_path / "current.pem")
    deadline, kid = time.monotonic() + 30, first
    while kid == first and time.monotonic() < deadline:
        time.sleep(0.5)
        kid = jwt.get_unverified_header(tokend.grant(setup.grant()).json()["access_token"])["kid"]
    assert kid == second == keys.current_key().kid
    assert len(tokend.issued()) >= 2


def test_behind_a_balancer_the_address_and_trace_are_the_callers(run_tokend, setup):
    tokend = run_tokend(proxy_count=1)  # one balancer in front of tokend, which appends the caller's address
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "traceparent": f"00-{trace}-00f067aa0ba902b7-01"}
    assert tokend.post_token(token_form(setup.grant()), headers=headers).status == 200
    assert tokend.post_token(token_form(setup.grant()), headers={"X-Request-ID": "lb-7f3a"}).status == 200
    first, second = tokend.issued()
    assert (first["ip"], first["request_id"]) == ("203.0.113.9", trace)
    assert (second["ip"], second["request_id"]) == ("127.0.0.1", "lb-7f3a")


def test_when_the_spend_does_not_finish_the_client_is_told_to_try_again(tokend, setup):
    """The spend waits on a lock past tokend's statement timeout: its outcome is unknown (it may still
    commit), so tokend answers the application's 503 instead of handing on a grant it may have spent."""
    db = settings.DATABASES["default"]
    locker = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])
    locker.execute("LOCK TABLE maskinporten_usedgrant IN ACCESS EXCLUSIVE MODE")
    # Released 1 s after tokend's 5 s statement timeout: had tokend handed the grant on, the application
    # would be waiting for the lock then (up to DB_LOCK_TIMEOUT_MS), and find the grant spent by tokend's
    # abandoned statement: a "used before" for a grant that got no token.
    release = threading.Timer(6.0, locker.rollback)
    release.start()
    try:
        grant = setup.grant()
        answer = tokend.grant(grant)
    finally:
        release.join()
        locker.close()
    assert answer.status == 503, answer.body
    assert answer.json() == {
        "error": "temporarily_unavailable",
        "error_description": "The service is temporarily unavailable. Try again shortly.",
    }
    assert answer.headers["retry-after"] == str(settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS)
    assert tokend.issued() == []
    deadline = time.monotonic() + 30  # the abandoned spend commits once the lock is gone
    while not UsedGrant.objects.filter(client_id=setup.client.client_id).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tokend.grant(grant).json()["error_description"] == "Grant is used before"


def test_a_request_whose_connection_the_application_closes_under_it_is_sent_once_more(
    tokend_binary, tokend_settings, tmp_path
):
    """gunicorn closes an idle keep-alive connection after 2 s; if tokend sends on it at that moment the
    request never reached the application, and tokend sends it again instead of answering 502."""
    seen = []

    class Upstream(socketserver.BaseRequestHandler):
        def handle(self):
            request = self.request.recv(65536)
            seen.append(request.split(b"\r\n", 1)[0])
            if len(seen) == 1:
                return  # closed without an answer, as a connection closed under the request
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proxy = start(tokend_binary, tokend_config.config(), f"http://127.0.0.1:{server.server_address[1]}", tmp_path)
        try:
            answer = request(proxy.url, "GET", "/jwk")
        finally:
            proxy.process.terminate()
            proxy.process.wait(timeout=10)
    finally:
        server.shutdown()
    assert (answer.status, answer.body) == (200, b"ok")
    assert seen == [b"GET /jwk HTTP/1.1"] * 2


def test_expired_used_grants_are_purged(run_tokend, setup):
    now = timezone.now()
    UsedGrant.objects.create(client_id=setup.client.client_id, jti="old", expires_at=now - timedelta(hours=1))
    UsedGrant.objects.create(client_id=setup.client.client_id, jti="live", expires_at=now + timedelta(minutes=2))
    run_tokend(purge_interval=1)
    deadline = time.monotonic() + 30
    while UsedGrant.objects.filter(jti="old").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(UsedGrant.objects.values_list("jti", flat=True)) == ["live"]


# --- the rules tokend mirrors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, says",
    [
        ({"version": "0000000000000000"}, "the application's grant rules are version 0000000000000000"),
        (
            {"spend_parameters": ["client_id", "jti", "expires_at", "first_seen"]},
            'the spend statement takes "first_seen", which this tokend does not fill',
        ),
    ],
    ids=["rules", "statement"],
)
def test_tokend_built_for_other_rules_does_not_start(
    tokend_binary, live_server, tokend_settings, tmp_path, change, says
):
    (tmp_path / "tokend.json").write_text(json.dumps(tokend_config.config() | change))
    done = subprocess.run(
        [str(tokend_binary), str(tmp_path / "tokend.json"), "127.0.0.1:0", live_server.url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert says in json.loads(done.stderr.splitlines()[-1])["message"]  # its one JSON line, then it stops

"""What a refused grant tells the client (the exact OAuth error and description) and the operator (the
refusal log line and its facts, the refusal record): pinned for each refusal of the grant's client and
key, its scopes and its times (the mutation survivors of maskinporten/grants.py, docs/testing.md)."""

import os
import time
import uuid
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils import timezone

from lib.tokens import keys
from lib.tokens.keys import public_jwk_of
from maskinporten import grants
from maskinporten.models import Client, ClientKey, UsedGrant
from registry.models import RefusalReason, SystemClient, SystemUser, SystemUserUsage, TokenRefusal
from tests import factories as f
from tests.maskinporten.helpers import (
    DEMO_SCOPE,
    GRANT_TYPE,
    assert_refused,
    client_private_key,
    good_claims,
    raw_jws,
    systemuser_details,
)


def post_claims(client, setup, kid=None, **overrides):
    return setup.post(client, raw_jws({"alg": "RS256", "kid": kid or setup.kid}, good_claims(setup, **overrides)))


def post_from(client, assertion: str, ip: str):
    data = urlencode({"grant_type": GRANT_TYPE, "assertion": assertion})
    return client.post("/token", data=data, content_type="application/x-www-form-urlencoded", REMOTE_ADDR=ip)


def refusals(caplog) -> list:
    return [r for r in caplog.records if r.getMessage().startswith("token refused")]


def refused_with_log(client, setup, caplog, **overrides):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = post_claims(client, setup, **overrides)
    [record] = refusals(caplog)
    return response, record


def post_form(client, **form):
    with_values = {name: value for name, value in form.items() if value is not None}
    return client.post("/token", data=urlencode(with_values), content_type="application/x-www-form-urlencoded")


# The request and the grant's form (_exchange, _parse)


@pytest.mark.parametrize("grant_type", [None, ""])
def test_a_missing_grant_type_is_named_to_the_client(client, setup, caplog, grant_type):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = post_form(client, grant_type=grant_type, assertion=setup.grant())
    assert_refused(response, "invalid_request", "grant_type is missing")
    [record] = refusals(caplog)
    assert record.token["reason"] == "grant_type is missing"


@pytest.mark.parametrize("assertion", [None, ""])
def test_a_missing_assertion_is_named_to_the_client(client, db, caplog, assertion):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = post_form(client, grant_type=GRANT_TYPE, assertion=assertion)
    assert_refused(response, "invalid_request", "assertion is missing")
    [record] = refusals(caplog)
    assert record.token["reason"] == "assertion is missing"


@pytest.mark.parametrize(
    "assertion, reason",
    [
        ("not.a.jwt", "not valid JSON"),
        ("a.b", "a signed JWT has 3 segments, this has 2"),
        (raw_jws({"alg": "none", "kid": "k"}, {"iss": "x"}, key=False), "algorithm 'none' is not allowed"),
    ],
)
def test_a_malformed_grant_is_logged_with_what_is_wrong(client, db, caplog, assertion, reason):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = post_from(client, assertion, "127.0.0.1")
    assert_refused(response, "invalid_grant", "Invalid assertion")  # the client is told no more
    [record] = refusals(caplog)
    assert record.token["reason"] == reason
    assert not TokenRefusal.objects.exists()  # nobody proved who they are


def test_a_grant_signed_with_another_key_is_logged_as_such(client, setup, caplog):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = setup.post(client, setup.grant(private_key=other))
    assert_refused(response, "invalid_grant", "Invalid assertion")
    [record] = refusals(caplog)
    assert record.token["reason"] == "signature does not verify"
    assert record.token["client_id"] == setup.client.client_id
    assert not TokenRefusal.objects.exists()  # the signature did not prove who sent it


def _signed_by_us(ring: keys.KeyRing, setup) -> str:
    ours = ring.current_key()
    return raw_jws({"alg": "RS256", "kid": ours.kid}, good_claims(setup), key=ours.private_key)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda client, setup: setup.post(client, setup.grant()).json()["access_token"], id="access-token"),
        pytest.param(lambda client, setup: _signed_by_us(keys.TOKEN, setup), id="token-key-no-typ"),
        pytest.param(lambda client, setup: _signed_by_us(keys.PLATFORM, setup), id="platform-key-no-typ"),
        # Signed by the client with its own key: only the typ says it claims to be an access token.
        pytest.param(lambda client, setup: setup.grant(headers={"typ": "at+jwt"}), id="client-key-typ-at+jwt"),
    ],
)
def test_an_access_token_or_a_token_signed_with_our_keys_is_not_a_grant(client, setup, caplog, make_token):
    token = make_token(client, setup)
    SystemUserUsage.objects.all().delete()  # the access token's own grant: counted
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = setup.post(client, token)
    assert_refused(response, "invalid_grant", "Invalid assertion")
    [record] = refusals(caplog)
    assert record.token["reason"] == "an access token is not a grant"


# The client and its key (_client_key)


@pytest.mark.parametrize("length", [1, 200])
def test_a_client_id_of_1_and_200_characters_gets_a_token(client, vendor, length):
    # Built here: make_client's kid (the client id and more) would not fit in 200 characters.
    plain = Client.objects.create(client_id="c" * length, owner=vendor, scopes=[DEMO_SCOPE])
    kid = f"k-{length}"
    ClientKey.objects.create(
        client=plain, kid=kid, public_jwk={**public_jwk_of(client_private_key().public_key()), "kid": kid}
    )
    now = int(time.time())
    claims = {"aud": settings.TOKEN_ISSUER, "iss": plain.client_id, "iat": now, "exp": now + 60}
    claims |= {"jti": str(uuid.uuid4()), "scope": DEMO_SCOPE}
    response = post_from(client, raw_jws({"alg": "RS256", "kid": kid}, claims), "127.0.0.1")
    assert response.status_code == 200, response.content


def test_a_malformed_issuer_is_logged_as_such(client, setup, caplog):
    response, record = refused_with_log(client, setup, caplog, iss="")
    assert_refused(response, "invalid_grant", "Invalid assertion")
    assert record.token["reason"] == "iss is missing or malformed"
    assert record.getMessage() == "token refused: invalid_grant: iss is missing or malformed (client -)"


def test_a_kid_not_on_the_client_is_logged_with_the_kid(client, setup, caplog):
    response, record = refused_with_log(client, setup, caplog, kid="not-registered")
    assert_refused(response, "invalid_grant", "Invalid assertion")
    assert record.token["reason"] == "kid 'not-registered' is not on the client"
    assert record.token["kid"] == "not-registered"


def test_an_unknown_client_is_logged_as_not_found(client, setup, caplog):
    response, record = refused_with_log(client, setup, caplog, iss="no-such-client")
    assert_refused(response, "invalid_grant", "Client not found")
    assert record.getMessage() == "token refused: invalid_grant: Client not found (client no-such-client)"
    assert record.token["reason"] == "Client not found"


def test_a_deactivated_client_is_logged_as_deactivated(client, setup, vendor, caplog):
    setup.client.is_active = False
    setup.client.save(update_fields=["is_active"])
    response, record = refused_with_log(client, setup, caplog)
    assert_refused(response, "invalid_grant", "Client not found")
    assert record.token["reason"] == "client is deactivated"
    assert record.token["consumer"] == vendor.orgno


def test_a_client_whose_owner_is_deleted_is_not_found(client, setup, vendor, caplog):
    vendor.is_deleted = True
    vendor.save(update_fields=["is_deleted"])
    response, record = refused_with_log(client, setup, caplog)
    assert_refused(response, "invalid_grant", "Client not found")
    assert record.token["reason"] == "the client's owner is deleted"
    assert record.getMessage() == (
        f"token refused: invalid_grant: the client's owner is deleted (client {setup.client.client_id})"
    )


def test_a_retired_key_is_refused_and_logged_as_retired(client, setup, caplog):
    setup.client.keys.update(retired_at=timezone.now())
    response, record = refused_with_log(client, setup, caplog)
    assert_refused(response, "invalid_grant", "Invalid assertion")
    assert record.token["reason"] == f"key {setup.kid!r} is retired"
    assert record.token["error"] == "invalid_grant"


# The claims (_check_claims)


@pytest.mark.parametrize(
    "overrides, description",
    [
        ({"aud": "https://elsewhere.example/"}, f"aud must be the issuer string {settings.TOKEN_ISSUER!r}"),
        ({"iat": "now+11"}, "iat must be within 10 seconds of server time"),
        ({"iat": "now", "exp": "now+121"}, "exp - iat must be at most 120 seconds"),
    ],
)
def test_each_wrong_time_or_audience_is_named_to_the_client(client, setup, frozen_now, overrides, description):
    def value(v):
        return frozen_now + int(v[4:] or 0) if isinstance(v, str) and v.startswith("now") else v

    overrides = {k: value(v) for k, v in overrides.items()}
    assert_refused(post_claims(client, setup, **overrides), "invalid_grant", f"Invalid assertion: {description}")


def test_a_grant_whose_sub_is_the_client_id_gets_a_token(client, setup):
    response = post_claims(client, setup, sub=setup.client.client_id)
    assert response.status_code == 200, response.content


def test_a_grant_is_judged_by_when_it_arrived_not_when_it_was_read(setup, frozen_now, caplog):
    # It arrived 5 seconds ago and expired 2 seconds ago: it was good when it arrived.
    assertion = setup.grant(iat=frozen_now - 12, exp=frozen_now - 2)
    body = grants.exchange_grant(grant_type=grants.GRANT_TYPE, assertion=assertion, arrived=frozen_now - 5.0)
    assert body["token_type"] == "Bearer"
    # Without an arrival time, the server's clock judges it: expired.
    with pytest.raises(grants.GrantError) as refused, caplog.at_level("INFO", logger="maskinporten.grants"):
        grants.exchange_grant(
            grant_type=grants.GRANT_TYPE, assertion=setup.grant(iat=frozen_now - 12, exp=frozen_now - 2)
        )
    assert (refused.value.error, refused.value.description) == ("invalid_grant", "JWT is expired")
    assert str(refused.value) == "invalid_grant: JWT is expired"  # what a traceback would show
    [record] = refusals(caplog)
    assert record.token["ip"] == ""  # no address known: none logged


def test_a_grant_without_an_arrival_time_is_judged_by_the_clock(setup):
    body = grants.exchange_grant(grant_type=grants.GRANT_TYPE, assertion=setup.grant())
    assert body["token_type"] == "Bearer"


def test_unknown_claims_are_recorded_for_the_business_cut_at_300_characters(client, setup, caplog):
    names = {f"claim{i:03}": 1 for i in range(40)}  # "claim000, claim001, …": 398 characters
    response, record = refused_with_log(client, setup, caplog, **names)
    assert_refused(response, "invalid_grant", "Invalid assertion")
    joined = ", ".join(sorted(names))
    reason = "unknown claims: " + joined[:300]
    assert TokenRefusal.objects.get().description == f"invalid_grant: {reason}"
    # The log line carries 300 characters of the reason, in the message and in its facts.
    assert record.token["reason"] == reason[:300]
    assert record.getMessage() == f"token refused: invalid_grant: {reason[:300]} (client {setup.client.client_id})"


def test_a_refusal_without_a_reason_or_detail_is_recorded_with_its_description(client, setup):
    assert_refused(post_claims(client, setup, scope="altinn:admin"), "invalid_scope")
    refusal = TokenRefusal.objects.get()
    assert refusal.description == "invalid_scope: Scope not allowed for this client: altinn:admin"
    assert refusal.detail == ""


# The system user asked for (_exchange): only an unknown externalRef is recorded with a detail (the
# externalRef asked for: tests/maskinporten/test_token_endpoint.py)


@pytest.mark.parametrize(
    "change, asked_for, reason",
    [
        (None, "new-org", RefusalReason.UNKNOWN_ORGANISATION),
        (None, "known-org", RefusalReason.NO_SYSTEM_USER),
        ("delete system user", "customer", RefusalReason.SYSTEM_USER_DELETED),
        ("client off the system", "customer", RefusalReason.CLIENT_NOT_ON_SYSTEM),
    ],
)
def test_a_refusal_for_the_system_user_asked_for_is_recorded_without_a_detail(
    client, setup, customer, change, asked_for, reason
):
    if change == "delete system user":
        SystemUser.objects.filter(pk=setup.system_user.pk).update(is_deleted=True)
    elif change == "client off the system":
        SystemClient.objects.filter(client_id=setup.client.client_id).delete()
    orgno = {"new-org": f.next_orgno(), "known-org": f.make_org("Annen AS").orgno, "customer": customer.orgno}
    details = systemuser_details(orgno[asked_for])  # no externalRef: it is the orgno asked for
    assert_refused(post_claims(client, setup, authorization_details=details), "invalid_altinn_customer_configuration")
    refusal = TokenRefusal.objects.get()
    assert (refusal.reason, refusal.party_orgno, refusal.detail) == (reason, orgno[asked_for], "")


# The scopes (_check_scopes)


@pytest.mark.parametrize("scope", ['altinn:demo/krav.read "quoted"', "altinn:demo\\x", "a" * 201])
def test_a_malformed_scope_is_named_as_malformed(client, setup, scope):
    assert_refused(post_claims(client, setup, scope=scope), "invalid_scope", "scope is malformed")


def test_every_scope_not_allowed_is_named_to_the_client(client, setup):
    response = post_claims(client, setup, scope=f"{DEMO_SCOPE} altinn:admin altinn:secret")
    assert_refused(response, "invalid_scope", "Scope not allowed for this client: altinn:admin altinn:secret")


def test_the_scopes_not_allowed_are_named_up_to_300_characters(client, setup):
    scopes = [f"altinn:x/{i:02}" + "s" * 90 for i in range(5)]  # 5 x 101 characters
    response = post_claims(client, setup, scope=" ".join(scopes))
    description = "Scope not allowed for this client: " + " ".join(scopes)[:300]
    assert_refused(response, "invalid_scope", description)


def test_the_log_carries_500_characters_of_the_scope_asked_for(client, setup, caplog):
    scopes = [f"altinn:x/{i:02}" + "s" * 90 for i in range(6)]  # 6 x 101 characters
    _, record = refused_with_log(client, setup, caplog, scope=" ".join(scopes))
    assert record.token["scope"] == " ".join(scopes)[:500]


# The refusal log line (_refused)


def test_the_refusal_log_line_carries_every_fact(client, setup, vendor, customer, caplog):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = post_from(client, setup.grant(jti="j-1", scope="altinn:admin"), "203.0.113.9")
    assert_refused(response, "invalid_scope")
    [record] = refusals(caplog)
    reason = "Scope not allowed for this client: altinn:admin"
    assert record.getMessage() == f"token refused: invalid_scope: {reason} (client {setup.client.client_id})"
    assert record.token == {
        "client_id": setup.client.client_id,
        "consumer": vendor.orgno,
        "party": "",
        "system_user": "",
        "kid": setup.kid,
        "jti": "j-1",
        "scope": "altinn:admin",
        "ip": "203.0.113.9",
        "error": "invalid_scope",
        "reason": reason,
    }


def test_an_anonymous_refusal_log_line_names_no_client(client, setup, caplog):
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        post_from(client, "not.a.jwt", "203.0.113.7")
    [record] = refusals(caplog)
    assert record.getMessage().endswith("(client -)")
    assert record.token["ip"] == "203.0.113.7"
    assert record.token["error"] == "invalid_grant"


# The used grant (_spend_and_issue)


def test_a_used_grant_is_kept_until_the_grant_expires_whatever_the_servers_time_zone(client, setup):
    # The process runs west of UTC and of Oslo (TIME_ZONE): the used grant's expiry is still the grant's.
    zone = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        exp = int(time.time()) + 60
        assertion = setup.grant(exp=exp)
        assert setup.post(client, assertion).status_code == 200
        assert UsedGrant.objects.get().expires_at.timestamp() == exp
        grants.purge_used_grants()
        response = setup.post(client, assertion)
    finally:
        if zone is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = zone
        time.tzset()
    assert response.status_code == 400 and response.json()["error_description"] == "Grant is used before"

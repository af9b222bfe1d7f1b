"""A grant's jti is accepted once per client, in every process: the database unique key decides."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from maskinporten.grants import purge_used_grants
from maskinporten.models import UsedGrant
from registry.models import RefusalReason, SystemUserUsage, TokenRefusal
from tests.maskinporten.helpers import DEMO_SCOPE, grant_setup, make_client, sign_grant
from tests.races import race


def test_a_replayed_grant_is_refused(client, setup, caplog):
    grant = setup.grant()
    assert setup.post(client, grant).status_code == 200
    with caplog.at_level("INFO", logger="maskinporten.grants"):
        response = setup.post(client, grant)
    assert f"token refused: invalid_grant: jti replayed (client {setup.client.client_id})" in caplog.messages
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Grant is used before"}
    refusal = TokenRefusal.objects.get()
    assert (refusal.reason, refusal.count, refusal.system_user_id) == (RefusalReason.REPLAYED, 1, setup.system_user.id)
    assert SystemUserUsage.objects.get().issued == 1  # the refused replay is not counted as a token


def test_the_same_jti_from_two_clients_is_two_grants(client, setup, vendor, settings):
    other, kid = make_client(vendor, DEMO_SCOPE)
    assert setup.post(client, setup.grant(jti="shared", details=False)).status_code == 200
    grant = sign_grant(other.client_id, kid, audience=settings.TOKEN_ISSUER, scope=DEMO_SCOPE, jti="shared")
    assert setup.post(client, grant).status_code == 200


def test_a_refused_grant_does_not_spend_its_jti(client, setup):
    assert setup.post(client, setup.grant(jti="j1", scope="altinn:not-allowed")).status_code == 400
    assert setup.post(client, setup.grant(jti="j1")).status_code == 200


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_with_the_same_jti_give_exactly_one_token(vendor, customer, system):
    setup = grant_setup(vendor, customer, system)
    grant = setup.grant()
    workers = 8
    results = race([lambda: setup.post(HttpClient(), grant)] * workers, result=lambda r: (r.status_code, r.json()))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [400] * (workers - 1)
    refused = [body for status, body in results if status == 400]
    assert all(body["error_description"] == "Grant is used before" for body in refused)
    assert SystemUserUsage.objects.get().issued == 1
    assert TokenRefusal.objects.get(reason=RefusalReason.REPLAYED).count == workers - 1
    assert UsedGrant.objects.count() == 1


def test_expired_used_grants_are_purged_but_live_ones_kept(setup):
    now = timezone.now()
    UsedGrant.objects.create(client_id="c", jti="old", expires_at=now - timedelta(minutes=10))
    UsedGrant.objects.create(client_id="c", jti="live", expires_at=now + timedelta(seconds=30))
    assert purge_used_grants() == 1
    assert list(UsedGrant.objects.values_list("jti", flat=True)) == ["live"]


def test_a_grant_replayed_after_the_purge_is_still_refused_while_it_is_valid(client, setup):
    """The purge drops only grants that have expired (their jti is kept until the grant's own exp)."""
    grant = setup.grant()
    assert setup.post(client, grant).status_code == 200
    purge_used_grants()
    assert setup.post(client, grant).json() == {"error": "invalid_grant", "error_description": "Grant is used before"}

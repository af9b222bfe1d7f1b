"""Posts of the same request at the same moment give one request, and every caller gets its id.

Real threads, each with its own connection, truly racing: PostgreSQL only (tests/races.py); CI runs it.
"""

import pytest

from approvals.models import Request
from approvals.system_user_requests import RequestSpec, create_request
from registry.models import Notification
from tests.races import race


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_posts_make_one_request(system, customer, vendor):
    spec = RequestSpec(
        kind="standard",
        system_id=system.system_id,
        party_orgno=customer.orgno,
        rights=[{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
    )
    results = race([lambda: create_request(vendor=vendor, spec=spec)] * 4)
    assert len(results) == 4
    assert Request.objects.count() == 1
    assert {str(request.id) for request, _ in results} == {str(Request.objects.get().id)}
    assert sum(created for _, created in results) == 1


def _spec(system, customer, ref: str) -> RequestSpec:
    rights = [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]
    return RequestSpec(
        kind="standard", system_id=system.system_id, party_orgno=customer.orgno, external_ref=ref, rights=rights
    )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_new_requests_at_the_same_moment_mail_the_organisation_once(system, customer, vendor):
    # Issue 18 left this open: each post saw no recent mail and sent its own.
    specs = [_spec(system, customer, f"ref-{i}") for i in range(4)]
    results = race([lambda spec=spec: create_request(vendor=vendor, spec=spec) for spec in specs])
    assert sum(created for _, created in results) == 4
    assert Notification.objects.filter(kind="request.created").count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_new_requests_at_the_same_moment_keep_the_open_request_limit(system, customer, vendor, settings):
    settings.REQUEST_MAX_OPEN_PER_PARTY = 2
    specs = [_spec(system, customer, f"ref-{i}") for i in range(5)]
    results = race([lambda spec=spec: create_request(vendor=vendor, spec=spec) for spec in specs])
    assert sorted(map(str, results)).count("HTTP-429") == 3
    assert Request.objects.count() == 2

"""Posts of the same request at the same moment give one request, and every caller gets its id.

Real threads, each with its own connection, truly racing: PostgreSQL only (tests/races.py); CI runs it.
"""

import pytest

from approvals.models import Request
from approvals.system_user_requests import RequestSpec, create_request
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

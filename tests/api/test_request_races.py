"""Posts of the same request at the same moment give one request, and every caller gets its id.

Real threads, each with its own connection. On PostgreSQL (CI) they truly race; SQLite's shared-cache
test database answers "table is locked" instead of waiting, so there a caller simply tries again.
"""

import threading
import time

import pytest
from django.db import OperationalError, connection

from approvals.models import Request
from approvals.system_user_requests import RequestSpec, create_request


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_posts_make_one_request(system, customer, vendor):
    spec = RequestSpec(
        kind="standard",
        system_id=system.system_id,
        party_orgno=customer.orgno,
        rights=[{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
    )
    barrier, results, errors = threading.Barrier(4), [], []

    def post():
        barrier.wait(timeout=10)
        try:
            for _ in range(500):
                try:
                    results.append(create_request(vendor=vendor, spec=spec))
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 4
    assert Request.objects.count() == 1
    assert {str(request.id) for request, _ in results} == {str(Request.objects.get().id)}
    assert sum(created for _, created in results) == 1

"""Posts of the same request at the same moment give one request, and every caller gets its id; new
requests and change requests at the same moment count each other for the flooding limits.

Real threads, each with its own connection, truly racing: PostgreSQL only (tests/races.py); CI runs it.
"""

import uuid

import pytest

from approvals.change_requests import ChangeSpec, create_change_request
from approvals.models import ChangeRequest, Request
from approvals.system_user_requests import RequestSpec, create_request
from registry.models import Notification, SystemUser
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


def _change(vendor, system_user):
    spec = ChangeSpec(required_packages=["urn:altinn:accesspackage:skatt-naering"])
    return lambda: create_change_request(
        vendor=vendor, correlation_id=str(uuid.uuid4()), system_user_id=str(system_user.pk), spec=spec
    )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_new_change_requests_at_the_same_moment_keep_the_limit_and_mail_once(system, customer, vendor, settings):
    settings.CHANGE_REQUEST_MAX_OPEN_PER_PARTY = 2
    users = [
        SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref=f"ref-{i}")
        for i in range(5)
    ]
    results = race([_change(vendor, user) for user in users])  # other system users, one organisation
    assert sorted(map(str, results)).count("HTTP-429") == 3
    assert ChangeRequest.objects.count() == 2
    assert Notification.objects.filter(kind="changerequest.created").count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_request_and_change_requests_at_the_same_moment_count_each_other_for_the_day(
    system, customer, vendor, settings
):
    settings.REQUEST_MAX_PER_DAY = 2
    user = SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref="a")
    calls = [_change(vendor, user) for _ in range(3)]
    calls += [lambda: create_request(vendor=vendor, spec=_spec(system, customer, "ny"))]
    results = race(calls)
    assert sorted(map(str, results)).count("HTTP-429") == 2
    assert ChangeRequest.objects.count() + Request.objects.count() == 2

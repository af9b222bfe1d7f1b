"""Change requests are bounded as requests are (issue 18, item 2; docs/vendor-api.md "Limits").

Every new correlation id that needed a change was a new change request and a mail to the customer's
access managers, without limit. Open change requests per vendor and organisation are limited, the
day's allowance is the requests' (both count), and the access managers get at most one new-change-request
mail per vendor per interval; the change requests held back come in one digest.
"""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from approvals.models import ChangeRequest, Request
from approvals.notifications import mail_request_digests
from registry.models import AuditEvent, Notification, SystemUser, SystemUserRight
from tests import factories as f
from tests.api.conftest import assert_problem

SKATT = {"urn": "urn:altinn:accesspackage:skatt-naering"}
RIGHTS = [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]


def make_system_user(system, owner, ref=None):
    user = SystemUser.objects.create(
        integration_title="Fakturering for bakeriet", owner=owner, system=system, external_ref=ref or owner.orgno
    )
    SystemUserRight.objects.create(system_user=user, resource_id="ske-krav-og-betalinger", action="read")
    return user


@pytest.fixture
def system_user(system, customer):
    return make_system_user(system, customer)


def change(api, system_user, correlation_id=None, body=None):
    query = f"?correlation-id={correlation_id or uuid.uuid4()}&system-user-id={system_user.pk}"
    return api.post("systemuser/changerequest/vendor" + query, body or {"requiredAccessPackages": [SKATT]})


def created_mails():
    return Notification.objects.filter(kind="changerequest.created")


def test_open_change_requests_per_organisation_are_limited_with_429_and_retry_after(
    api, system, customer, system_user, settings
):
    settings.CHANGE_REQUEST_MAX_OPEN_PER_PARTY = 3
    another = make_system_user(system, customer, "filial-2")  # the limit is per organisation, not system user
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for i, correlation_id in enumerate(ids):
        assert change(api, [system_user, another][i % 2], correlation_id).status_code == 201
    mails, events = created_mails().count(), AuditEvent.objects.count()
    response = change(api, another)
    problem = assert_problem(response, 429, "HTTP-429")
    assert int(response["Retry-After"]) > 0
    assert "open change requests" in problem["detail"]
    assert ChangeRequest.objects.count() == 3
    assert created_mails().count() == mails and AuditEvent.objects.count() == events  # nothing made, no mail
    # A re-post of an open one is still answered: the limit is on new change requests.
    assert change(api, system_user, ids[0]).status_code == 200
    # Nothing to change opens nothing, so it is not refused by the open limit.
    assert change(api, system_user, body={"requiredRights": RIGHTS}).json()["status"] == "NoChangeNeeded"
    # Another organisation's system user is another count; so is a decided change request.
    other = make_system_user(system, f.make_org("Annen kunde AS"))
    assert change(api, other).status_code == 201
    ChangeRequest.objects.filter(pk=ids[0]).update(status="Rejected")
    assert change(api, another).status_code == 201


def test_open_requests_do_not_use_up_the_open_change_request_limit(api, system, customer, system_user, settings):
    settings.REQUEST_MAX_OPEN_PER_PARTY = 1
    settings.CHANGE_REQUEST_MAX_OPEN_PER_PARTY = 1
    request = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "externalRef": "ny", "rights": RIGHTS}
    assert api.post("systemuser/request/vendor", request).status_code == 201
    assert change(api, system_user).status_code == 201
    assert_problem(change(api, system_user), 429, "HTTP-429")


def test_the_day_allowance_counts_requests_and_change_requests_together(api, system, customer, system_user, settings):
    settings.REQUEST_MAX_PER_DAY = 3
    request = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "externalRef": "ny", "rights": RIGHTS}
    assert api.post("systemuser/request/vendor", request).status_code == 201
    assert change(api, system_user).status_code == 201
    other = make_system_user(system, f.make_org("Annen kunde AS"))
    assert change(api, other, body={"requiredRights": RIGHTS}).status_code == 201  # NoChangeNeeded counts too
    response = change(api, other)
    problem = assert_problem(response, 429, "HTTP-429")
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert "in the last 24 hours" in problem["detail"]
    assert ChangeRequest.objects.count() == 2
    request["externalRef"] = "ny-2"
    assert api.post("systemuser/request/vendor", request).status_code == 429  # and the other way round
    # Deleting gives no allowance back; a day later there is.
    ChangeRequest.objects.update(is_deleted=True)
    Request.objects.update(is_deleted=True)
    assert change(api, other).status_code == 429
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    ChangeRequest.objects.update(created=day_ago)
    Request.objects.update(created=day_ago)
    assert change(api, other).status_code == 201


def test_access_managers_get_one_new_change_request_mail_per_vendor_per_interval(
    api, other_api, system, customer, system_user, other_vendor
):
    for _ in range(5):
        assert change(api, system_user).status_code == 201
    assert created_mails().count() == 1  # the customer has no access manager: its own address, once
    # Another vendor's change request is another mail; a request is its own mail (other recipients).
    theirs = make_system_user(f.make_system(other_vendor, "annet"), customer)
    assert change(other_api, theirs).status_code == 201
    assert created_mails().count() == 2
    body = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "externalRef": "ny", "rights": RIGHTS}
    assert api.post("systemuser/request/vendor", body).status_code == 201
    assert Notification.objects.filter(kind="request.created").count() == 1
    an_interval_ago()
    assert change(api, system_user).status_code == 201
    assert created_mails().count() == 3


def an_interval_ago():
    """As if the mails so far (and what they announced) went out 61 minutes ago."""
    earlier = timezone.now() - timedelta(minutes=61)
    Notification.objects.update(created=earlier)
    ChangeRequest.objects.exclude(announced=None).update(announced=earlier)
    Request.objects.exclude(announced=None).update(announced=earlier)


def digest_mails(org):
    return Notification.objects.filter(kind="changerequest.digest", recipient__in=org.emails)


def test_the_change_requests_the_limit_held_back_come_in_one_digest(api, system, customer, system_user):
    ids = [change(api, system_user).json()["id"] for _ in range(4)]
    ChangeRequest.objects.filter(pk=ids[3]).update(is_deleted=True)  # deleted meanwhile: not in the digest
    assert mail_request_digests() == 0 and not digest_mails(customer).exists()  # the interval is not up
    an_interval_ago()
    assert mail_request_digests() == 1
    digest = digest_mails(customer).get()
    assert [line for line in digest.body.splitlines() if "/systemuser/changerequest?id=" in line] == [
        f"http://127.0.0.1:8000/systemuser/changerequest?id={i}" for i in ids[1:3]
    ]
    assert "2 nye forespørsler om å endre systemtilganger" in digest.body
    assert digest.body.index("?id=" + ids[2]) < digest.body.index("Tekst fra leverandøren")
    assert "Fakturering for bakeriet" in digest.body
    assert mail_request_digests() == 0  # each held-back change request is in one digest
    # The digest was this interval's mail: a new change request now gets none, and waits for the next one.
    assert change(api, system_user).status_code == 201
    assert created_mails().count() == 1
    assert mail_request_digests() == 0
    an_interval_ago()
    assert mail_request_digests() == 1 and digest_mails(customer).count() == 2


def test_a_digest_of_change_requests_goes_to_the_access_managers(api, customer, system_user, manager):
    for _ in range(2):
        assert change(api, system_user).status_code == 201
    an_interval_ago()
    assert mail_request_digests() == 1
    assert list(Notification.objects.filter(kind="changerequest.digest").values_list("recipient", flat=True)) == [
        manager.email
    ]


def test_no_change_request_digest_when_each_had_its_own_mail(api, system_user):
    assert change(api, system_user).status_code == 201
    an_interval_ago()
    assert change(api, system_user).status_code == 201
    an_interval_ago()
    assert mail_request_digests() == 0 and not Notification.objects.filter(kind="changerequest.digest").exists()


def test_the_change_request_limit_is_a_setting_documented_for_vendors():
    assert settings.CHANGE_REQUEST_MAX_OPEN_PER_PARTY > 0
    docs = (Path(settings.BASE_DIR) / "docs" / "vendor-api.md").read_text()
    assert "`CHANGE_REQUEST_MAX_OPEN_PER_PARTY`" in docs


def test_a_deleted_system_users_change_requests_neither_count_as_open_nor_come_in_a_digest(
    api, system, customer, system_user, settings
):
    settings.CHANGE_REQUEST_MAX_OPEN_PER_PARTY = 2
    ids = [change(api, system_user).json()["id"] for _ in range(2)]  # the first mailed, the second held back
    SystemUser.objects.filter(pk=system_user.pk).update(is_deleted=True)  # nothing left to change
    another = make_system_user(system, customer, "filial-2")
    held_back = change(api, another)
    assert held_back.status_code == 201
    an_interval_ago()
    assert mail_request_digests() == 1
    digest = Notification.objects.get(kind="changerequest.digest").body
    assert held_back.json()["id"] in digest and ids[1] not in digest

"""Issue 18, item 2: a vendor can not flood an organisation (or the register) with requests and mails.

Every new externalRef was a new request and a new mail, to any organisation in the register. Open
requests per vendor per organisation and requests per vendor per day are limited (429, Retry-After, a
problem body), and an organisation gets at most one new-request mail per vendor per hour.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from approvals.models import Request
from approvals.notifications import mail_request_digests
from registry.models import Notification
from tests import factories as f
from tests.api.conftest import assert_problem

RIGHTS = [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]


def body(system, org, ref: str) -> dict:
    return {"systemId": system.system_id, "partyOrgNo": org.orgno, "externalRef": ref, "rights": RIGHTS}


def test_open_requests_per_organisation_are_limited_with_429_and_retry_after(api, system, customer, settings):
    settings.REQUEST_MAX_OPEN_PER_PARTY = 3
    for i in range(3):
        assert api.post("systemuser/request/vendor", body(system, customer, f"ref-{i}")).status_code == 201
    response = api.post("systemuser/request/vendor", body(system, customer, "ref-3"))
    problem = assert_problem(response, 429, "HTTP-429")
    assert int(response["Retry-After"]) > 0
    assert "open requests" in problem["detail"]
    assert Request.objects.count() == 3
    # A re-post of an open one is still answered: the limit is on new requests.
    assert api.post("systemuser/request/vendor", body(system, customer, "ref-0")).status_code == 200


def test_requests_per_vendor_per_day_are_limited_across_organisations(api, system, settings):
    settings.REQUEST_MAX_PER_DAY = 2
    orgs = [f.make_org(f"Klient {i} AS") for i in range(3)]
    assert api.post("systemuser/request/vendor", body(system, orgs[0], "a")).status_code == 201
    assert api.post("systemuser/request/vendor", body(system, orgs[1], "a")).status_code == 201
    response = api.post("systemuser/request/vendor", body(system, orgs[2], "a"))
    assert_problem(response, 429, "HTTP-429")
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    # Deleting a request does not give the day's allowance back.
    Request.objects.update(is_deleted=True)
    assert api.post("systemuser/request/vendor", body(system, orgs[2], "a")).status_code == 429
    Request.objects.update(created=timezone.now() - timedelta(days=1, minutes=1))
    assert api.post("systemuser/request/vendor", body(system, orgs[2], "a")).status_code == 201


def test_an_organisation_gets_one_new_request_mail_per_vendor_per_hour(api, other_api, system, customer, other_vendor):
    for i in range(5):
        assert api.post("systemuser/request/vendor", body(system, customer, f"ref-{i}")).status_code == 201
    assert Notification.objects.filter(kind="request.created", recipient__in=customer.emails).count() == 1
    # Another vendor's request is another mail; so is the first one an hour later.
    theirs = f.make_system(other_vendor, "annet")
    assert other_api.post("systemuser/request/vendor", body(theirs, customer, "x")).status_code == 201
    assert Notification.objects.filter(kind="request.created").count() == 2
    an_hour_ago()
    assert api.post("systemuser/request/vendor", body(system, customer, "ref-5")).status_code == 201
    assert Notification.objects.filter(kind="request.created").count() == 3


def an_hour_ago():
    """As if the mails so far (and the requests they announced) went out 61 minutes ago."""
    earlier = timezone.now() - timedelta(minutes=61)
    Notification.objects.update(created=earlier)
    Request.objects.exclude(announced=None).update(announced=earlier)


def digest_mails(org):
    return Notification.objects.filter(kind="request.digest", recipient__in=org.emails)


def test_the_requests_the_hourly_limit_held_back_come_in_one_digest_after_the_hour(api, system, customer):
    """Issue 18, item 2: later requests are listed in the portal and in the next digest."""
    ids = [api.post("systemuser/request/vendor", body(system, customer, f"ref-{i}")).json()["id"] for i in range(4)]
    Request.objects.filter(pk=ids[3]).update(is_deleted=True)  # deleted meanwhile: not in the digest
    assert mail_request_digests() == 0 and not digest_mails(customer).exists()  # the hour is not up
    an_hour_ago()
    assert mail_request_digests() == 1
    digest = digest_mails(customer).get()
    assert [line for line in digest.body.splitlines() if "/systemuser/request?id=" in line] == [
        f"http://127.0.0.1:8000/systemuser/request?id={i}" for i in ids[1:3]
    ]
    assert "2 nye forespørsler om systemtilgang" in digest.body
    assert digest.body.index("?id=" + ids[2]) < digest.body.index("Tekst fra leverandøren")
    assert mail_request_digests() == 0  # each held-back request is in one digest
    # The digest was this hour's mail: a new request now gets none, and waits for the next digest.
    assert api.post("systemuser/request/vendor", body(system, customer, "ref-9")).status_code == 201
    assert Notification.objects.filter(recipient__in=customer.emails).count() == 2
    assert mail_request_digests() == 0
    an_hour_ago()
    assert mail_request_digests() == 1 and digest_mails(customer).count() == 2


def test_no_digest_when_every_request_had_its_own_mail(api, system, customer, other_vendor):
    assert api.post("systemuser/request/vendor", body(system, customer, "a")).status_code == 201
    an_hour_ago()
    assert api.post("systemuser/request/vendor", body(system, customer, "b")).status_code == 201
    an_hour_ago()
    assert mail_request_digests() == 0 and not Notification.objects.filter(kind="request.digest").exists()


@pytest.mark.parametrize("name", ["REQUEST_MAX_OPEN_PER_PARTY", "REQUEST_MAX_PER_DAY", "REQUEST_MAIL_INTERVAL_MINUTES"])
def test_the_limits_are_settings_documented_for_vendors(name):
    assert getattr(settings, name) > 0
    assert f"`{name}`" in (Path(settings.BASE_DIR) / "docs" / "vendor-api.md").read_text()

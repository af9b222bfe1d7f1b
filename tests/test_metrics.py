"""GET /metrics for Prometheus: what it counts, and who may read it."""

import json

import pytest
from django.db import OperationalError
from prometheus_client.parser import text_string_to_metric_families

from approvals.models import Request, RequestStatus
from registry.models import Notification, NotificationStatus
from tests import factories as f
from tests.authorization.conftest import make_system_user
from tests.authorization.test_authorize_api import KRAV, SCOPE, single
from tests.maskinporten.helpers import bearer_for, grant_setup
from tests.wsgi_calls import (
    call,
    keep_the_test_connection,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]

TOKEN = "scrape-token-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def _metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "::1", "10.1.0.0/16"]
    settings.METRICS_TOKEN = ""


def scrape(**kwargs) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a scrape from 127.0.0.1."""
    status, headers, body = call("/metrics", **kwargs)
    assert status == "200 OK", body
    assert headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_an_issued_token_and_a_refused_one_are_counted(client, vendor, customer, system):
    setup = grant_setup(vendor, customer, system)
    before = scrape()
    assert setup.post(client, setup.grant()).status_code == 200
    assert setup.post(client, "not-a-jwt").status_code == 400
    after = scrape()
    assert value(after, "systembruker_tokens_issued_total") == value(before, "systembruker_tokens_issued_total") + 1
    refused = "systembruker_tokens_refused_total"
    assert value(after, refused, error="invalid_grant") == value(before, refused, error="invalid_grant") + 1


def test_token_exchanges_are_counted_by_kind_and_outcome(client, vendor):
    exchange = "/authentication/api/v1/exchange/maskinporten"
    name = "systembruker_token_exchanges_total"
    before = scrape()
    platform = client.get(exchange, HTTP_AUTHORIZATION=bearer_for(vendor, "a:b")).content.decode()
    assert client.get(exchange, HTTP_AUTHORIZATION="Bearer not-a-jwt").status_code == 401
    assert client.get("/authentication/api/v1/refresh", HTTP_AUTHORIZATION=f"Bearer {platform}").status_code == 200
    after = scrape()
    for kind, outcome in [("maskinporten", "issued"), ("maskinporten", "refused"), ("refresh", "issued")]:
        labels = {"kind": kind, "outcome": outcome}
        assert value(after, name, **labels) == value(before, name, **labels) + 1, labels


def test_pdp_decisions_are_counted_by_result_and_timed(client, customer, system):
    standard_user = make_system_user(customer, system, packages=["skatt-naering"])
    auth = bearer_for(f.make_org("Skatteetaten"), SCOPE)
    permit = single(standard_user.pk, "read", KRAV, customer.orgno)
    not_applicable = single(standard_user.pk, "read", "some-other-resource", customer.orgno)
    before = scrape()
    for body in (permit, not_applicable, permit):
        response = client.post(
            "/authorization/api/v1/authorize", json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )  # fmt: skip
        assert response.status_code == 200
    after = scrape()
    decisions = "systembruker_pdp_decisions_total"
    assert value(after, decisions, decision="Permit") == value(before, decisions, decision="Permit") + 2
    assert value(after, decisions, decision="NotApplicable") == value(before, decisions, decision="NotApplicable") + 1
    assert value(after, decisions, decision="Deny") == value(before, decisions, decision="Deny")
    count = "systembruker_pdp_request_duration_seconds_count"
    assert value(after, count) == value(before, count) + 3


def test_a_pdp_call_that_fails_while_deciding_counts_as_indeterminate(client, monkeypatch, customer, system):
    from authorization import decisions as pdp_decisions

    def fail(questions, *, explain=False):
        raise RuntimeError("the register is unreadable")

    monkeypatch.setattr(pdp_decisions, "decide_all", fail)
    client.raise_request_exception = False
    auth = bearer_for(f.make_org("Skatteetaten"), SCOPE)
    question = single(make_system_user(customer, system).pk, "read", KRAV, customer.orgno)
    before = scrape()
    response = client.post(
        "/authorization/api/v1/authorize", json.dumps(question), content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )  # fmt: skip
    assert response.status_code == 500
    indeterminate = {"decision": "Indeterminate"}
    decisions = "systembruker_pdp_decisions_total"
    assert value(scrape(), decisions, **indeterminate) == value(before, decisions, **indeterminate) + 1


def test_vendor_api_responses_are_counted_by_status_class():
    before = scrape()
    status, _, _ = call("/authentication/api/v1/systemregister/vendor")  # no token
    assert status.startswith("401")
    after = scrape()
    responses = "systembruker_vendor_api_responses_total"
    assert value(after, responses, status_class="4xx") == value(before, responses, status_class="4xx") + 1
    assert value(after, responses, status_class="2xx") == value(before, responses, status_class="2xx")


def test_notifications_and_requests_are_read_from_the_database_at_scrape_time(customer, system):
    for n, status in enumerate([NotificationStatus.PENDING] * 2 + [NotificationStatus.FAILED, NotificationStatus.SENT]):
        Notification.objects.create(kind="request.created", object_id=str(n), recipient="a@example.no", status=status)
    Request.objects.create(system=system, party=customer, external_ref="a")
    Request.objects.create(system=system, party=customer, external_ref="b", status=RequestStatus.ACCEPTED)
    Request.objects.create(system=system, party=customer, external_ref="c", is_deleted=True)
    samples = scrape()
    assert value(samples, "systembruker_notifications", status="pending") == 2
    assert value(samples, "systembruker_notifications", status="sending") == 0
    assert value(samples, "systembruker_notifications", status="failed") == 1
    assert ("systembruker_notifications", (("status", "sent"),)) not in samples  # grows for ever: not a gauge
    requests = "systembruker_requests"
    assert value(samples, requests, kind="request", status="New") == 1
    assert value(samples, requests, kind="request", status="Accepted") == 1
    assert (requests, (("kind", "change_request"), ("status", "Timedout"))) in samples


def test_process_metrics_are_there():
    assert value(scrape(), "process_cpu_seconds_total") > 0


def test_the_scrape_answers_without_the_database_gauges_while_the_database_is_down(monkeypatch):
    from django.db import connections

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    samples = scrape()
    assert not any(name.startswith(("systembruker_notifications", "systembruker_requests")) for name, _ in samples)
    assert ("systembruker_tokens_issued_total", ()) in samples


def test_it_is_a_404_unless_enabled(settings):
    settings.METRICS_ENABLED = False
    status, _, body = call("/metrics")
    assert status.startswith("404")
    assert b"systembruker" not in body


@pytest.mark.parametrize("address", ["203.0.113.7", "10.2.0.1", "::2"])
def test_other_addresses_are_refused(address):
    status, _, body = call("/metrics", remote_addr=address)
    assert status.startswith("403")
    assert b"systembruker" not in body


@pytest.mark.parametrize("address", ["10.1.200.3", "::ffff:127.0.0.1"])
def test_an_allowed_network_may_scrape(address):
    status, _, _ = call("/metrics", remote_addr=address)
    assert status == "200 OK"


def test_a_client_behind_the_proxy_is_judged_by_its_own_address(settings):
    # A reverse proxy on the same host connects from 127.0.0.1: the client behind it must not pass as local.
    settings.PROXY_COUNT = 1
    status, _, _ = call("/metrics", remote_addr="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.7")
    assert status.startswith("403")


def test_the_token_lets_a_scraper_in_from_anywhere(settings):
    settings.METRICS_TOKEN = TOKEN
    status, _, _ = call("/metrics", remote_addr="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert status == "200 OK"


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, "Bearer ", f"Basic {TOKEN}"]
)
def test_a_wrong_token_is_refused(settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    status, _, _ = call("/metrics", remote_addr="203.0.113.7", HTTP_AUTHORIZATION=authorization)
    assert status.startswith("403")


def test_a_token_is_refused_when_none_is_configured():
    status, _, _ = call("/metrics", remote_addr="203.0.113.7", HTTP_AUTHORIZATION="Bearer ")
    assert status.startswith("403")


def test_only_get_and_head_are_answered():
    status, headers, _ = call("/metrics", "POST")
    assert status.startswith("405")
    assert headers["Allow"] == "GET, HEAD"

"""Webhooks: subscriptions through the vendor API, signed deliveries (verified with the Standard Webhooks
library's own verifier), retries with the same id, the delivery log and re-send, disabling a
subscription that fails for days, and the metrics by outcome."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from lib.errors import ServiceError
from registry import webhooks
from registry.models import DeliveryStatus, Notification, VendorEvent, WebhookDelivery, WebhookSubscription
from tests.api.conftest import assert_problem, validation_codes
from tests.events.conftest import reject_one
from tests.events.receiver import Receiver
from tests.test_metrics import _metrics_on, scrape, value  # noqa: F401 - the fixture
from tests.wsgi_calls import keep_the_test_connection  # noqa: F401 - the fixture

HOOKS = "systemuser/vendor/webhooks"

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def subscribe(api, url: str, **body) -> dict:
    response = api.post(HOOKS, {"url": url, **body})
    assert response.status_code == 201, response.content
    return response.json()


def due_now(delivery: WebhookDelivery) -> None:
    """Let the next attempt's back-off pass."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_delivery_is_signed_so_the_standard_webhooks_verifier_accepts_it(
    events_api, receiver, manager, system, customer
):
    created = subscribe(events_api, receiver.url)
    assert created["secret"].startswith("whsec_") and created["isActive"] is True
    assert "secret" not in events_api.get(f"{HOOKS}/{created['id']}").json()  # shown once
    request = reject_one(manager, system, customer)
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) == "succeeded"
    [got] = receiver.received
    event = Webhook(created["secret"]).verify(got.body, got.headers)
    assert event["type"] == "no.systembruker.request.rejected" and event["subject"] == str(request.id)
    assert got.headers["webhook-id"] == event["id"] == str(VendorEvent.objects.get().id)
    assert got.headers["content-type"] == "application/cloudevents+json"
    with pytest.raises(WebhookVerificationError):  # a body changed on the way, or another secret, fails
        Webhook(created["secret"]).verify(got.body.replace(b"rejected", b"accepted"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(got.body, got.headers)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.last_status_code == 204


def test_a_receiver_answering_500_then_200_gets_the_event_again_with_the_same_id(events_api, manager, system, customer):
    receiver = Receiver(statuses=[500, 200]).start()
    try:
        subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver(delivery.pk) == "retrying"
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at > timezone.now()
        assert webhooks.deliver(delivery.pk) == "skipped"  # not due yet: nothing sent
        assert len(receiver.received) == 1
        due_now(delivery)
        assert webhooks.deliver(delivery.pk) == "succeeded"
        assert webhooks.deliver(delivery.pk) == "skipped"  # done: a task delivered twice sends nothing
    finally:
        receiver.stop()
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]


def test_a_receiver_that_is_down_then_up_gets_the_event(events_api, manager, system, customer):
    receiver = Receiver().start()
    url = receiver.url
    receiver.stop()  # nothing listens on its port now
    subscription = subscribe(events_api, url)
    reject_one(manager, system, customer)
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) == "retrying"
    assert "Error" in delivery.attempt_log.get().error and delivery.attempt_log.get().status_code is None
    back = Receiver().start()
    try:
        assert events_api.client.patch(
            "/authentication/api/v1/" + f"{HOOKS}/{subscription['id']}",
            data=json.dumps({"url": back.url}), content_type="application/json", **events_api.headers,
        ).status_code == 200  # fmt: skip
        due_now(delivery)
        assert webhooks.deliver(delivery.pk) == "succeeded"
    finally:
        back.stop()
    assert back.received[0].headers["webhook-id"] == str(delivery.event.id)


def test_a_slow_receiver_is_cut_off_and_tried_again(events_api, manager, system, customer, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver = Receiver(delay=2.5).start()
    try:
        subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver(delivery.pk) == "retrying"
        assert "Timeout" in delivery.attempt_log.get().error
        receiver.delay = 0
        due_now(delivery)
        assert webhooks.deliver(delivery.pk) == "succeeded"
    finally:
        receiver.stop()
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_a_receiver_dripping_its_answer_is_cut_off_when_the_attempts_time_is_up(
    events_api, manager, system, customer, settings
):
    """Each byte comes well within the timeout, the whole answer (about 12 s) long after it: the attempt
    is cut off at WEBHOOK_TIMEOUT_SECONDS all the same, not when the receiver is done."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver = Receiver(drip=0.2).start()
    try:
        subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver(delivery.pk) == "retrying"
        assert "Timeout" in delivery.attempt_log.get().error
    finally:
        receiver.stop()


def test_a_redirect_is_not_followed(events_api, manager, system, customer):
    receiver = Receiver(statuses=[307]).start()
    receiver.location = receiver.url.replace("/hooks/", "/elsewhere/")
    try:
        subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver(delivery.pk) == "retrying"
    finally:
        receiver.stop()
    assert [r.path for r in receiver.received] == ["/hooks/systembruker"]
    assert "redirects are not followed" in delivery.attempt_log.get().error


def test_retries_back_off_exponentially_with_jitter(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 10, 3600
    for attempts, ceiling in ((1, 10), (2, 20), (5, 160), (30, 3600)):
        delays = {webhooks.backoff(attempts) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


def test_a_delivery_out_of_time_is_marked_failed(events_api, manager, system, customer):
    receiver = Receiver(statuses=[503]).start()
    try:
        subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(give_up_at=timezone.now())
        assert webhooks.deliver(delivery.pk) == "failed"
    finally:
        receiver.stop()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code == 503


def test_a_subscription_failing_for_days_is_disabled_and_the_vendor_told(
    events_api, manager, system, customer, vendor, settings
):
    vendor.email = "drift@vendor.example"
    vendor.save()
    receiver = Receiver(statuses=[500]).start()
    try:
        created = subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver(delivery.pk) == "retrying"
        subscription = WebhookSubscription.objects.get()
        assert subscription.failing_since is not None and subscription.is_active  # failing, not for long
        long_ago = timezone.now() - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS, minutes=1)
        WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=long_ago)
        due_now(delivery)
        webhooks.deliver(delivery.pk)
    finally:
        receiver.stop()
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    [mail] = Notification.objects.filter(kind="webhook.disabled")
    assert mail.recipient == "drift@vendor.example" and receiver.url in mail.subject
    # Disabled: new events make no deliveries, the pending one is not sent, and the vendor sees why.
    shown = events_api.get(f"{HOOKS}/{created['id']}").json()
    assert shown["isActive"] is False and shown["disabledAt"]
    due_now(delivery)
    assert webhooks.deliver(delivery.pk) == "failed"


def test_a_success_clears_the_failing_mark(events_api, manager, system, customer):
    receiver = Receiver(statuses=[500, 200]).start()
    try:
        subscribe(events_api, receiver.url)
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        webhooks.deliver(delivery.pk)
        due_now(delivery)
        webhooks.deliver(delivery.pk)
    finally:
        receiver.stop()
    assert WebhookSubscription.objects.get().failing_since is None


def test_after_a_rotation_both_secrets_verify_until_the_overlap_ends(events_api, receiver, manager, system, customer):
    created = subscribe(events_api, receiver.url)
    rotated = events_api.post(f"{HOOKS}/{created['id']}/secret", {})
    assert rotated.status_code == 200, rotated.content
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"] and rotated.json()["previousSecretValidUntil"]
    reject_one(manager, system, customer)
    webhooks.deliver(WebhookDelivery.objects.get().pk)
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(got.body, got.headers)
    Webhook(created["secret"]).verify(got.body, got.headers)
    WebhookSubscription.objects.update(previous_secret_until=timezone.now())
    assert len(webhooks.signed_headers(WebhookSubscription.objects.get(), "id", "{}")["webhook-signature"].split()) == 1


def test_the_delivery_log_shows_status_codes_and_a_delivery_can_be_sent_again(
    events_api, receiver, manager, system, customer
):
    created = subscribe(events_api, receiver.url)
    reject_one(manager, system, customer)
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)
    log = events_api.get(f"{HOOKS}/{created['id']}/deliveries").json()["data"]
    assert [(d["status"], d["lastStatusCode"], d["eventType"]) for d in log] == [
        ("succeeded", 204, "no.systembruker.request.rejected")
    ]
    assert [a["statusCode"] for a in log[0]["attemptLog"]] == [204]
    resent = events_api.post(f"{HOOKS}/{created['id']}/deliveries/{delivery.pk}/resend", {})
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    assert webhooks.deliver(delivery.pk) == "succeeded"
    assert [r.headers["webhook-id"] for r in receiver.received] == [str(delivery.event.id)] * 2


def test_a_subscription_gets_only_the_types_it_asked_for(events_api, receiver, manager, system, customer):
    subscribe(events_api, receiver.url, eventTypes=["no.systembruker.request.accepted"])
    reject_one(manager, system, customer)
    assert VendorEvent.objects.count() == 1 and not WebhookDelivery.objects.exists()


def test_unknown_event_types_are_refused(events_api, receiver):
    response = events_api.post(HOOKS, {"url": receiver.url, "eventTypes": ["no.systembruker.nope"]})
    assert validation_codes(response) == ["STD.VLD-00001"]


@pytest.mark.parametrize(
    "body", [{}, {"url": 5}, {"url": "x" * 2001}, {"url": "https://a.example", "eventTypes": "x"}, []]
)
def test_bad_subscription_bodies_are_400(events_api, body):
    assert events_api.post(HOOKS, body).status_code == 400


def test_another_vendors_subscription_is_not_found(events_api, other_events_api, receiver, manager, system, customer):
    created = subscribe(events_api, receiver.url)
    reject_one(manager, system, customer)
    delivery = WebhookDelivery.objects.get()
    for path in (f"{HOOKS}/{created['id']}", f"{HOOKS}/{created['id']}/deliveries", f"{HOOKS}/not-a-uuid"):
        assert_problem(other_events_api.get(path), 404, "HTTP-404")
    assert_problem(other_events_api.post(f"{HOOKS}/{created['id']}/secret", {}), 404, "HTTP-404")
    assert_problem(
        other_events_api.post(f"{HOOKS}/{created['id']}/deliveries/{delivery.pk}/resend", {}), 404, "HTTP-404"
    )
    assert other_events_api.get(HOOKS).json()["data"] == []
    assert other_events_api.delete(f"{HOOKS}/{created['id']}").status_code == 404
    assert WebhookSubscription.objects.get().is_active


def test_a_deleted_subscription_gets_nothing_more(events_api, receiver, manager, system, customer):
    created = subscribe(events_api, receiver.url)
    assert events_api.delete(f"{HOOKS}/{created['id']}").status_code == 204
    reject_one(manager, system, customer)
    assert not WebhookDelivery.objects.exists()
    assert events_api.get(f"{HOOKS}/{created['id']}").status_code == 404


def test_a_vendor_has_a_bounded_number_of_subscriptions(events_api, receiver, settings):
    settings.WEBHOOK_MAX_SUBSCRIPTIONS = 2
    subscribe(events_api, receiver.url)
    subscribe(events_api, receiver.url)
    assert_problem(events_api.post(HOOKS, {"url": receiver.url}), 409, "HTTP-409")


def test_a_change_sent_as_the_subscription_is_deleted_does_not_bring_it_back(events_api, receiver, vendor):
    """The vendor's PATCH read the subscription just before its DELETE committed: the change is refused as
    not found, and nothing is sent to the URL the vendor deleted."""
    created = subscribe(events_api, receiver.url)
    read_before = webhooks.get_subscription(vendor, created["id"])
    assert events_api.delete(f"{HOOKS}/{created['id']}").status_code == 204
    with pytest.raises(ServiceError) as refused:
        webhooks.update_subscription(read_before, event_types=["no.systembruker.systemuser.deleted"], actor="t")
    assert refused.value.status == 404
    with pytest.raises(ServiceError):
        webhooks.rotate_secret(read_before, actor="t")
    assert WebhookSubscription.objects.get(pk=created["id"]).is_deleted
    assert events_api.get(f"{HOOKS}/{created['id']}").status_code == 404


def test_a_change_sent_as_the_worker_disables_a_failing_subscription_keeps_it_disabled(events_api, receiver, vendor):
    """Changing the URL or rotating the secret of a subscription the worker disabled a moment before (from
    a copy read earlier) leaves it disabled: only `isActive: true` starts it again."""
    created = subscribe(events_api, receiver.url)
    read_before = webhooks.get_subscription(vendor, created["id"])
    WebhookSubscription.objects.filter(pk=created["id"]).update(is_active=False, disabled_at=timezone.now())
    changed = webhooks.update_subscription(read_before, url=receiver.url + "ny", actor="t")
    assert (changed.url, changed.is_active) == (receiver.url + "ny", False)
    changed, _secret = webhooks.rotate_secret(read_before, actor="t")
    stored = WebhookSubscription.objects.get(pk=created["id"])
    assert (stored.url, stored.is_active, stored.disabled_at is not None) == (receiver.url + "ny", False, True)
    shown = events_api.get(f"{HOOKS}/{created['id']}").json()
    assert shown["isActive"] is False


@pytest.mark.usefixtures("keep_the_test_connection", "_metrics_on")
def test_deliveries_are_counted_by_outcome(manager, system, customer, vendor):
    """(No test client here: it would bring back the connection-closing signal this test turns off.)"""
    receiver = Receiver(statuses=[500, 200]).start()
    before = scrape()
    try:
        webhooks.create_subscription(vendor=vendor, url=receiver.url, event_types=[], actor="test")
        reject_one(manager, system, customer)
        delivery = WebhookDelivery.objects.get()
        webhooks.deliver(delivery.pk)
        due_now(delivery)
        webhooks.deliver(delivery.pk)
    finally:
        receiver.stop()
    after = scrape()
    for outcome in ("retrying", "succeeded"):
        name = "systembruker_webhook_delivery_attempts_total"
        assert value(after, name, outcome=outcome) == value(before, name, outcome=outcome) + 1
    assert value(after, "systembruker_webhook_deliveries", status="succeeded") == 1
    assert value(after, "systembruker_webhook_deliveries", status="pending") == 0

"""Webhooks: a vendor's subscriptions, and delivering its events to them, signed (Standard Webhooks).

- `fan_out` (called by registry.events.emit, in the change's transaction) writes one delivery per
  active subscription that wants the event and, after the commit, queues one task for the event, which
  queues one task per delivery in the worker (so the change pays for one broker message).
- `deliver` claims a delivery with a compare-and-set (pending and due → sending), POSTs the CloudEvent
  through lib.outbound (the URL is checked again after DNS, no redirects, a total time limit), logs
  the attempt, and either marks it succeeded, or schedules the next attempt with exponential back-off
  and jitter, or — WEBHOOK_RETRY_HOURS after the event — marks it failed. Every attempt carries the
  same `webhook-id` (the event's id), so a receiver de-duplicates on it.
- A subscription that has failed without a success for WEBHOOK_DISABLE_AFTER_DAYS is disabled, and
  the vendor's contact addresses are e-mailed (registry/email/webhook_disabled.txt).
- `requeue_due` (Celery beat) queues deliveries whose next attempt is due and claims left by a dead
  worker: a broker outage or a killed worker delays deliveries but loses none.

Signing: `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the secret
(`whsec_<base64>`), made by the `standardwebhooks` package (whose verifier receivers use); during the
overlap after a rotation the previous secret's signature is sent too, space-separated, as the
convention allows.
"""

import base64
import datetime as dt
import json
import logging
import random
import secrets
import time
import uuid
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from lib import metrics, outbound
from lib.errors import FieldError, ServiceError, ValidationFailed
from registry import audit
from registry.emails import queue_email
from registry.models import (
    DeliveryStatus,
    Organisation,
    VendorEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from registry.models.events import EVENT_TYPES

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
SECRET_PREFIX = "whsec_"
CONTENT_TYPE = "application/cloudevents+json"


# --- signing ----------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One Standard Webhooks signature, `v1,<base64>`."""
    return Webhook(secret).sign(msg_id, dt.datetime.fromtimestamp(timestamp, tz=dt.UTC), body)


def signed_headers(subscription: WebhookSubscription, msg_id: str, body: str, *, now=None) -> dict:
    now = now or timezone.now()
    timestamp = int(now.timestamp())
    keys = [subscription.secret]
    if subscription.previous_secret and subscription.previous_secret_until and subscription.previous_secret_until > now:
        keys.append(subscription.previous_secret)
    return {
        "content-type": CONTENT_TYPE,
        "user-agent": "Systembruker-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(key, msg_id, timestamp, body) for key in keys),
    }


def body_of(event: VendorEvent) -> str:
    return json.dumps(event.as_cloudevent(), ensure_ascii=False, separators=(",", ":"))


# --- subscriptions ----------------------------------------------------------------------------------


def check_url(url: str) -> None:
    """ValidationFailed unless we would call this URL now (the same check runs again at delivery)."""
    try:
        outbound.check_url(
            url, allow_http=settings.WEBHOOK_ALLOW_HTTP, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
        )
    except outbound.UnsafeURL as exc:
        raise ValidationFailed([FieldError("STD.VLD-00001", str(exc), ["/url"])]) from None


def _check_types(event_types: list[str]) -> list[str]:
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        message = "Unknown event types: " + ", ".join(str(t)[:100] for t in unknown)
        raise ValidationFailed([FieldError("STD.VLD-00001", message, ["/eventTypes"])])
    return sorted(set(event_types))


def subscriptions_of(vendor: Organisation):
    return WebhookSubscription.objects.filter(vendor=vendor, is_deleted=False)


def get_subscription(vendor: Organisation, subscription_id) -> WebhookSubscription:
    """The vendor's own subscription; anyone else's, a malformed id or a deleted one is not found."""
    found = subscriptions_of(vendor).filter(pk=_uuid_or_none(subscription_id)).first()
    if found is None:
        raise _not_found()
    return found


def _not_found() -> ServiceError:
    return ServiceError("HTTP-404", "The webhook subscription was not found", status=404)


def _current(subscription: WebhookSubscription) -> WebhookSubscription:
    """The subscription as it is now, its row locked until the change commits. A change saved from the copy
    read before it would write back what was changed since: a delete (the subscription would come back)
    or the worker's disabling of a failing one."""
    locked = WebhookSubscription.objects.select_for_update(of=("self",)).select_related("vendor")
    found = locked.filter(pk=subscription.pk, is_deleted=False).first()
    if found is None:
        raise _not_found()
    return found


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _audit(action: str, subscription: WebhookSubscription, actor: str, ip: str | None, **data) -> None:
    audit.record(
        action,
        actor=actor,
        object_type="webhook",
        object_id=subscription.pk,
        party_orgno=subscription.vendor.orgno,
        data={"url": subscription.url, "eventTypes": subscription.event_types, **data},
        ip=ip,
    )


@transaction.atomic
def create_subscription(
    *, vendor: Organisation, url: str, event_types: list[str], actor: str, ip: str | None = None
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (returned here only: shown to the vendor once)."""
    check_url(url)
    event_types = _check_types(event_types)
    Organisation.objects.take_turns(vendor)  # two at once count each other against the limit
    if subscriptions_of(vendor).count() >= settings.WEBHOOK_MAX_SUBSCRIPTIONS:
        raise ServiceError(
            "HTTP-409",
            f"A vendor may have at most {settings.WEBHOOK_MAX_SUBSCRIPTIONS} webhook subscriptions",
            status=409,
        )
    secret = new_secret()
    subscription = WebhookSubscription.objects.create(vendor=vendor, url=url, event_types=event_types, secret=secret)
    _audit("webhook.created", subscription, actor, ip)
    return subscription, secret


@transaction.atomic
def update_subscription(
    subscription: WebhookSubscription,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    is_active: bool | None = None,
    actor: str,
    ip: str | None = None,
) -> WebhookSubscription:
    """Change the URL, the types or whether it is active; activating a disabled one starts it afresh."""
    if url is not None:
        check_url(url)  # before the lock: it may ask the DNS
    if event_types is not None:
        event_types = _check_types(event_types)
    subscription = _current(subscription)
    if url is not None:
        subscription.url = url
    if event_types is not None:
        subscription.event_types = event_types
    if is_active is not None:
        if is_active and not subscription.is_active:
            subscription.failing_since = subscription.disabled_at = None
        subscription.is_active = is_active
    subscription.save()
    _audit("webhook.updated", subscription, actor, ip, isActive=subscription.is_active)
    return subscription


@transaction.atomic
def rotate_secret(
    subscription: WebhookSubscription, *, actor: str, ip: str | None = None
) -> tuple[WebhookSubscription, str]:
    """The subscription with a new secret, and the secret (returned here only); the old one signs too for
    WEBHOOK_SECRET_OVERLAP_HOURS."""
    subscription = _current(subscription)
    secret = new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = timezone.now() + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    subscription.secret = secret
    subscription.save()
    _audit("webhook.secret_rotated", subscription, actor, ip)
    return subscription, secret


@transaction.atomic
def delete_subscription(subscription: WebhookSubscription, *, actor: str, ip: str | None = None) -> None:
    """Soft delete: nothing more is sent (deliveries not yet sent fail); the log stays until retention."""
    if not WebhookSubscription.objects.filter(pk=subscription.pk, is_deleted=False).update(
        is_deleted=True, is_active=False
    ):
        raise _not_found()
    _audit("webhook.deleted", subscription, actor, ip)


def deliveries_of(subscription: WebhookSubscription):
    return subscription.deliveries.select_related("event").prefetch_related("attempt_log")


def resend(subscription: WebhookSubscription, delivery_id) -> WebhookDelivery:
    """Send a delivery again now, with the same `webhook-id`, and retry it as a new one would be."""
    delivery = subscription.deliveries.filter(pk=_uuid_or_none(delivery_id)).first()
    if delivery is None:
        raise ServiceError("HTTP-404", "The delivery was not found", status=404)
    if not subscription.is_active:
        raise ServiceError("HTTP-409", "The webhook subscription is not active; activate it first", status=409)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
    )
    transaction.on_commit(lambda: enqueue(delivery.pk))
    delivery.refresh_from_db()
    return delivery


# --- delivery ---------------------------------------------------------------------------------------


def fan_out(event: VendorEvent) -> list[WebhookDelivery]:
    """One delivery per active subscription of the event's vendor that wants it; sent after commit."""
    subscriptions = WebhookSubscription.objects.filter(vendor_id=event.vendor_id, is_active=True, is_deleted=False)
    give_up_at = event.time + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event=event, give_up_at=give_up_at, next_attempt_at=event.time)
            for s in subscriptions
            if s.wants(event.type)
        ]
    )
    if deliveries:
        # One task per event, whatever the number of subscriptions: the change's request pays for one
        # message to the broker; the worker queues a task per delivery (`dispatch`).
        transaction.on_commit(lambda: _enqueue(dispatch_webhooks, event.pk))
    return deliveries


def dispatch(event_id) -> int:
    """Queue a delivery task for each of the event's deliveries still pending (in the worker)."""
    ids = list(
        WebhookDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING).values_list("pk", flat=True)
    )
    for delivery_id in ids:
        enqueue(delivery_id)
    return len(ids)


def enqueue(delivery_id, *, countdown: float = 0) -> bool:
    """Hand the delivery to Celery."""
    return _enqueue(deliver_webhook, delivery_id, countdown=countdown)


def _enqueue(task, object_id, *, countdown: float = 0) -> bool:
    """A broker that is down must not fail the caller: the rows stay pending and the sweep sends them."""
    try:
        task.apply_async(
            (str(object_id),),
            countdown=countdown or None,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        )
    except Exception:  # any broker failure; the row stays pending for the sweep
        logger.warning("Could not queue %s for %s; the sweep will send it", task.name, object_id, exc_info=True)
        return False
    return True


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling from WEBHOOK_RETRY_BASE_SECONDS
    up to WEBHOOK_RETRY_MAX_SECONDS, with full jitter in its upper half (so receivers that came back are
    not hit by every sender at once)."""
    delay = min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


def _claimable(now) -> Q:
    stale = now - timedelta(seconds=settings.WEBHOOK_CLAIM_TIMEOUT_SECONDS)
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=stale
    )


def deliver(delivery_id) -> str:
    """Make one attempt at a delivery if it is due and nobody else is making it. Returns the outcome:
    "succeeded", "retrying", "failed", or "skipped" (not due, or claimed by someone else).

    Runs outside any transaction: the claim is committed before the request goes out.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription__vendor", "event").get(pk=delivery_id)
    subscription = delivery.subscription
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=now)
    if not subscription.is_active or subscription.is_deleted:
        mine.update(status=DeliveryStatus.FAILED, claimed_at=None, last_error="The subscription is not active")
        metrics.count_webhook_delivery("failed")
        return "failed"
    body = body_of(delivery.event)
    headers = signed_headers(subscription, str(delivery.event.id), body, now=now)
    status_code, error = None, ""
    started = time.monotonic()
    try:
        status_code = outbound.post(
            subscription.url,
            body.encode(),
            headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_http=settings.WEBHOOK_ALLOW_HTTP,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
        )
    except outbound.UnsafeURL as exc:
        error = f"Refused: {exc}"
    except Exception as exc:  # connection refused, time-out, TLS: every network failure is one failed attempt
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}" + (" (redirects are not followed)" if 300 <= status_code < 400 else "")
    if error:
        logger.info("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
    with transaction.atomic():  # the log row and the outcome in one commit
        outcome, delay = _record_attempt(delivery, mine, now, status_code, error, duration_ms)
    if outcome == "retrying" and delay <= settings.WEBHOOK_SWEEP_SECONDS * 5:
        enqueue(delivery.pk, countdown=delay)  # a short wait: Celery's countdown; a long one: the sweep
    metrics.count_webhook_delivery(outcome)
    return outcome


def _record_attempt(delivery, mine, now, status_code, error: str, duration_ms: int) -> tuple[str, float]:
    """Log the attempt and mark the delivery succeeded, failed (out of time) or pending again after a
    back-off; returns the outcome and the back-off."""
    subscription = delivery.subscription
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=status_code, error=error[:500], duration_ms=duration_ms
    )
    if not error:
        mine.update(
            status=DeliveryStatus.SUCCEEDED,
            claimed_at=None,
            last_status_code=status_code,
            last_error="",
            delivered_at=timezone.now(),
        )
        WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=False).update(failing_since=None)
        return "succeeded", 0
    _note_failure(subscription, now)
    finished = timezone.now()
    if finished >= delivery.give_up_at:
        mine.update(status=DeliveryStatus.FAILED, claimed_at=None, last_status_code=status_code, last_error=error[:500])
        return "failed", 0
    delay = backoff(delivery.attempts)
    mine.update(
        status=DeliveryStatus.PENDING,
        claimed_at=None,
        last_status_code=status_code,
        last_error=error[:500],
        next_attempt_at=finished + timedelta(seconds=delay),
    )
    return "retrying", delay


def _note_failure(subscription: WebhookSubscription, now) -> None:
    """Remember when the subscription started failing; disable it (once) when that is too long ago."""
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    with transaction.atomic():
        disabled = WebhookSubscription.objects.filter(
            pk=subscription.pk, is_active=True, failing_since__lte=cutoff
        ).update(is_active=False, disabled_at=now)
        if disabled:
            subscription.refresh_from_db()
            audit.record(
                "webhook.disabled",
                actor="system",
                object_type="webhook",
                object_id=subscription.pk,
                party_orgno=subscription.vendor.orgno,
                data={"url": subscription.url, "failingSince": subscription.failing_since.isoformat()},
            )
            queue_email(
                "registry/email/webhook_disabled.txt",
                {
                    "subscription": subscription,
                    "vendor": subscription.vendor,
                    "days": settings.WEBHOOK_DISABLE_AFTER_DAYS,
                },
                subscription.vendor.emails,
                kind="webhook.disabled",
                object_id=f"{subscription.pk}/{now.isoformat()}",
            )


def requeue_due() -> int:
    """Queue deliveries whose next attempt is due, and stale claims (Celery beat)."""
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(_claimable(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for delivery_id in ids:
        enqueue(delivery_id)
    return len(ids)


@shared_task
def dispatch_webhooks(event_id: str) -> int:
    """The task `fan_out` queues after the commit (registered through registry/tasks.py)."""
    return dispatch(event_id)


@shared_task
def deliver_webhook(delivery_id: str) -> str:
    """The Celery task `enqueue` hands a delivery to (registered through registry/tasks.py)."""
    return deliver(delivery_id)

"""Vendor events (CloudEvents 1.0), the vendor's webhook subscriptions and their deliveries.

registry/events.py writes an event (and one delivery per matching subscription) in the transaction of
the change it reports; registry/webhooks.py manages subscriptions and sends deliveries.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The event types (registry/events.py says which service emits each).
PREFIX = "no.systembruker."
REQUEST_ACCEPTED = PREFIX + "request.accepted"
REQUEST_REJECTED = PREFIX + "request.rejected"
REQUEST_TIMEDOUT = PREFIX + "request.timedout"
CHANGEREQUEST_ACCEPTED = PREFIX + "changerequest.accepted"
CHANGEREQUEST_REJECTED = PREFIX + "changerequest.rejected"
CHANGEREQUEST_TIMEDOUT = PREFIX + "changerequest.timedout"
SYSTEMUSER_DELETED = PREFIX + "systemuser.deleted"
SYSTEMUSER_ACCESS_REVOKED = PREFIX + "systemuser.access_revoked"
SYSTEMUSER_CLIENTS_ADDED = PREFIX + "systemuser.clients_added"
SYSTEMUSER_CLIENTS_REMOVED = PREFIX + "systemuser.clients_removed"
SYSTEM_CHANGED = PREFIX + "system.changed"
EVENT_TYPES = (
    REQUEST_ACCEPTED,
    REQUEST_REJECTED,
    REQUEST_TIMEDOUT,
    CHANGEREQUEST_ACCEPTED,
    CHANGEREQUEST_REJECTED,
    CHANGEREQUEST_TIMEDOUT,
    SYSTEMUSER_DELETED,
    SYSTEMUSER_ACCESS_REVOKED,
    SYSTEMUSER_CLIENTS_ADDED,
    SYSTEMUSER_CLIENTS_REMOVED,
    SYSTEM_CHANGED,
)


class VendorEvent(models.Model):
    """One thing that happened, for the vendor that owns the system. `seq` is the feed's cursor: it only
    grows, and survives restarts (it is the database's own sequence)."""

    seq = models.BigAutoField(primary_key=True)
    id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the CloudEvents id
    vendor = models.ForeignKey("registry.Organisation", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    time = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["vendor", "seq"], name="registry_ve_vendor_seq_idx")]

    def as_cloudevent(self) -> dict:
        """The CloudEvents 1.0 JSON object (structured mode) the feed lists and a webhook POSTs."""
        return {
            "specversion": "1.0",
            "id": str(self.id),
            "source": settings.EVENTS_SOURCE,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": self.data,
        }


class WebhookSubscription(models.Model):
    """Where a vendor wants its events POSTed. The secret signs each delivery (Standard Webhooks); after a
    rotation the previous secret signs too, until `previous_secret_until`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vendor = models.ForeignKey("registry.Organisation", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list, help_text="CloudEvents types wanted; empty = every type")
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # Set on the first failed attempt after a success, cleared by a success: a subscription failing for
    # WEBHOOK_DISABLE_AFTER_DAYS is disabled and its vendor told.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["vendor", "is_active"], name="registry_ws_vendor_idx")]

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENDING = "sending", "sending"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class WebhookDelivery(models.Model):
    """One event to one subscription: retried with back-off until it succeeds or its time is up.
    `next_attempt_at` is when the sweep may send it again; a claim is a compare-and-set on the status."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(VendorEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    # Retries stop after this: WEBHOOK_RETRY_HOURS after the event, or after a re-send.
    give_up_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="registry_wd_due_idx"),
            models.Index(fields=["subscription", "-created"], name="registry_wd_sub_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once")]


class WebhookAttempt(models.Model):
    """The log of a delivery: one row per HTTP attempt, with the status code or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

"""The outbox row that every notification is written as (registry/outbox.py writes and sends it)."""

import uuid

from django.db import models
from django.utils import timezone


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENDING = "sending", "sending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class Notification(models.Model):
    """Outbox row: written in the same transaction as the state change that causes it.

    A worker claims it (pending → sending) and marks it sent with compare-and-set updates, so a
    redelivered task sends nothing; a periodic sweep re-queues rows still pending and stale claims.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=50, help_text="e.g. request.created, request.escalated")
    recipient = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    object_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    # Set when a worker claims the row (status "sending"); a claim older than the claim timeout is
    # taken to belong to a dead worker, and the row may be claimed again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        # Made in approvals; moved here so that registry (revocations, deletions) can write to it.
        db_table = "approvals_notification"
        ordering = ["created"]
        indexes = [models.Index(fields=["status", "created"], name="approvals_n_status_7ee39d_idx")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "recipient"], name="notification_once"),
        ]

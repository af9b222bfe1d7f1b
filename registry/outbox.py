"""The transactional outbox: write the notification in the caller's transaction, send it after commit.

Delivery is at least once and idempotent:
- `queue_notification` writes one row per (kind, object, recipient) inside the state change's
  transaction, and asks Celery to deliver it only after that transaction commits;
- `deliver` claims the row with a compare-and-set (pending → sending), so a task delivered twice, or a
  sweep racing the first delivery, sends one mail;
- `requeue_pending` (Celery beat) re-queues rows still pending and claims left by a dead worker, so a
  broker outage or a killed worker delays mail but loses none.
A worker killed between sending and marking the row sent leaves a stale claim, which is sent again:
that is the "at least once" — the only case where a second mail can go out.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from registry.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def queue_notification(*, kind: str, recipient: str, subject: str, body: str, object_id: object) -> Notification | None:
    """Write the outbox row (once per kind/object/recipient) and send it after the transaction commits.

    Must be called inside the transaction that makes the state change, so both or neither happen.
    Returns None when the same notification was queued before.
    """
    notification, created = Notification.objects.get_or_create(
        kind=kind, object_id=str(object_id), recipient=recipient, defaults={"subject": subject, "body": body}
    )
    if not created:
        return None
    transaction.on_commit(lambda: enqueue(notification.pk))
    return notification


def enqueue(notification_id) -> bool:
    """Hand the row to Celery. A broker that is down must not fail the caller: the sweep sends it later."""
    try:
        deliver_notification.apply_async(
            (str(notification_id),),
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        )
    except Exception:  # any broker failure; the row stays pending for the sweep
        logger.warning("Could not queue notification %s; the sweep will send it", notification_id, exc_info=True)
        return False
    return True


def _claimable() -> Q:
    stale = timezone.now() - timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS)
    return Q(status=NotificationStatus.PENDING) | Q(status=NotificationStatus.SENDING, claimed_at__lt=stale)


def deliver(notification_id) -> bool:
    """Send one notification if nobody else has (True when this call sent it).

    Runs outside any transaction: the claim must be committed before the mail goes out, so that a
    second worker sees it.
    """
    claimed_at = timezone.now()
    claimed = Notification.objects.filter(_claimable(), pk=notification_id).update(
        status=NotificationStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, status=NotificationStatus.SENDING, claimed_at=claimed_at)
    try:
        send_mail(notification.subject, notification.body, None, [notification.recipient])
    except Exception as exc:  # SMTP and backend errors of every kind; retried by the sweep
        give_up = notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        logger.warning("Sending notification %s failed (attempt %s)", notification_id, notification.attempts)
        mine.update(
            status=NotificationStatus.FAILED if give_up else NotificationStatus.PENDING,
            claimed_at=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return False
    mine.update(status=NotificationStatus.SENT, sent_at=timezone.now())
    return True


def requeue_pending() -> int:
    """Queue delivery again for rows still pending (after a grace period) and for stale claims."""
    grace = timezone.now() - timedelta(seconds=settings.NOTIFICATION_SWEEP_GRACE_SECONDS)
    ids = list(
        Notification.objects.filter(_claimable(), created__lte=grace)
        .order_by("created")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for notification_id in ids:
        enqueue(notification_id)
    return len(ids)


@shared_task
def deliver_notification(notification_id: str) -> bool:
    """The Celery task `enqueue` hands a row to (defined here, beside its caller, so that the outbox
    needs no import of registry.tasks; the worker registers it through registry/tasks.py)."""
    return deliver(notification_id)

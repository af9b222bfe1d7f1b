"""Celery tasks of the registry: the outbox's delivery and sweep (beat: CELERY_BEAT_SCHEDULE in
config/settings.py). Tasks take ids, load fresh rows and call the outbox."""

from celery import shared_task

from registry import outbox, webhooks
from registry.outbox import deliver_notification
from registry.webhooks import deliver_webhook, dispatch_webhooks

__all__ = ["deliver_notification", "deliver_webhook", "dispatch_webhooks", "sweep_notifications", "sweep_webhooks"]


@shared_task
def sweep_notifications() -> int:
    return outbox.requeue_pending()


@shared_task
def sweep_webhooks() -> int:
    return webhooks.requeue_due()

"""Celery tasks of the registry: the outbox's delivery and sweep (beat: CELERY_BEAT_SCHEDULE in
config/settings.py). Tasks take ids, load fresh rows and call the outbox."""

from celery import shared_task

from registry import outbox
from registry.outbox import deliver_notification

__all__ = ["deliver_notification", "sweep_notifications"]


@shared_task
def sweep_notifications() -> int:
    return outbox.requeue_pending()

"""Celery tasks: take ids, load fresh rows, call the service. Scheduled ones run from Celery beat
(CELERY_BEAT_SCHEDULE in portal/settings.py)."""

from celery import shared_task

from approvals import change_services, notifications, outbox, services
from registry import retention


@shared_task
def deliver_notification(notification_id: str) -> bool:
    return outbox.deliver(notification_id)


@shared_task
def sweep_notifications() -> int:
    return outbox.requeue_pending()


# Change requests share the requests' time-out and reminder: one beat job each covers both.
@shared_task
def remind_expiring_requests() -> int:
    return notifications.remind_expiring_requests() + notifications.remind_expiring_change_requests()


@shared_task
def time_out_requests() -> int:
    return services.time_out_requests() + change_services.time_out_change_requests()


@shared_task
def purge_expired_data() -> dict[str, int]:
    """Daily: blank or delete personal data past its retention period (registry/retention.py)."""
    return {kind: outcome.count for kind, outcome in retention.purge_expired_data().items()}

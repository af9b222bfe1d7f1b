"""Celery tasks: take ids, load fresh rows, call the service. Scheduled ones run from Celery beat
(CELERY_BEAT_SCHEDULE in config/settings.py)."""

from celery import shared_task

from approvals import change_requests, notifications, system_user_requests


# Change requests share the requests' time-out and reminder: one beat job each covers both.
@shared_task
def remind_expiring_requests() -> int:
    return notifications.remind_expiring_requests() + notifications.remind_expiring_change_requests()


@shared_task
def time_out_requests() -> int:
    return system_user_requests.time_out_requests() + change_requests.time_out_change_requests()


@shared_task
def mail_request_digests() -> int:
    return notifications.mail_request_digests()

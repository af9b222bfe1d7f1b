"""Celery tasks: take ids, load fresh rows, call the service."""

from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone

from approvals.models import Notification, NotificationStatus


@shared_task
def deliver_notification(notification_id: str) -> bool:
    notification = Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).first()
    if notification is None:
        return False
    send_mail(notification.subject, notification.body, None, [notification.recipient])
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENT, sent_at=timezone.now())
    return True

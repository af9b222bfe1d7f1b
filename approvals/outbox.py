"""The transactional outbox: queue a notification in the caller's transaction; send after commit."""

from django.db import transaction

from approvals.models import Notification


def queue_notification(*, kind: str, recipient: str, subject: str, body: str, object_id: object) -> Notification | None:
    """Write the outbox row (once per kind/object/recipient) and send it after the transaction commits.

    Must be called inside the transaction that makes the state change, so both or neither happen.
    """
    notification, created = Notification.objects.get_or_create(
        kind=kind, object_id=str(object_id), recipient=recipient, defaults={"subject": subject, "body": body}
    )
    if not created:
        return None
    from approvals.tasks import deliver_notification

    transaction.on_commit(lambda: deliver_notification.delay(str(notification.pk)))
    return notification

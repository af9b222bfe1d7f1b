"""Two purges at once (two beats by mistake, or the command by hand while beat runs): every row goes
once, nothing fails, and the summary events' counts add up to what went. Real threads, each with its own
database connection (PostgreSQL only: tests/races.py); the batches skip each other's locked rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from housekeeping import retention
from registry import audit
from registry.models import AuditEvent, Notification, NotificationStatus, SystemUser
from registry.services.lifecycle import delete_system_user
from tests import factories as f
from tests.authorization.conftest import make_system_user
from tests.races import race

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def summed(kind: str) -> int:
    events = AuditEvent.objects.filter(action="retention.purged", object_id=kind)
    return sum(event.data["count"] for event in events)


def test_two_purges_at_once_take_each_row_once(customer, system, settings):
    settings.RETENTION_BATCH_SIZE = 3
    person = f.make_person()
    old = timezone.now() - timedelta(days=settings.RETENTION_NOTIFICATION_DAYS + 1)
    for n in range(20):
        event = audit.record("person.login", actor=audit.person_actor(person), ip="192.0.2.9")
        AuditEvent.objects.filter(pk=event.pk).update(at=old)
        Notification.objects.create(
            kind="request.created",
            recipient=f"{n}@x.example",
            subject="s",
            body="b",
            object_id="r",
            status=NotificationStatus.SENT,
            sent_at=old,
        )
    for n in range(7):
        system_user = make_system_user(f.make_org(f"Klient {n} AS"), system, packages=["skatt-naering"])
        delete_system_user(system_user_id=system_user.pk, by=None, actor="staff:support")
    SystemUser.objects.update(deleted_at=old)

    outcomes = race([retention.purge_expired_data] * 2, result=lambda run: {k: o.count for k, o in run.items()})

    assert len(outcomes) == 2 and all(isinstance(outcome, dict) for outcome in outcomes)
    assert not AuditEvent.objects.filter(ip__isnull=False).exists()
    assert not Notification.objects.filter(sent_at__lte=old).exists()  # the vendor's fresh mails stay
    assert not SystemUser.objects.exists()
    # The summary events are the record: the batches wait on or skip each other's locked rows, so
    # together they count each row exactly once.
    for kind, total in (("audit_ips", 20), ("notifications", 20), ("deleted_system_users", 7)):
        assert summed(kind) == total

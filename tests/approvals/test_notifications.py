from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from approvals.models import Request, RequestStatus
from approvals.notifications import notify_request_created, remind_expiring_requests
from approvals.system_user_requests import approve_request
from registry import outbox
from registry.models import Notification, NotificationStatus, SystemUser
from registry.tasks import deliver_notification, sweep_notifications
from tests.approvals.conftest import make_request

pytestmark = pytest.mark.django_db


def test_a_new_request_mails_each_notification_address_the_approval_link(
    customer, vendor, vendor_request, django_capture_on_commit_callbacks
):
    customer.email = "post@bakeriet.example; leder@bakeriet.example"
    customer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_request_created(vendor_request) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["leder@bakeriet.example", "post@bakeriet.example"]
    message = mail.outbox[0]
    assert vendor.name in message.subject
    assert f"http://127.0.0.1:8000/systemuser/request?id={vendor_request.id}" in message.body
    assert customer.name in message.body and "Fakturering" in message.body


def test_the_same_notification_is_queued_once(vendor_request):
    notify_request_created(vendor_request)
    assert notify_request_created(vendor_request) == 0
    assert Notification.objects.count() == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(vendor_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            notify_request_created(vendor_request)
            raise RuntimeError("the state change failed")
    assert not Notification.objects.exists() and mail.outbox == []


def assert_two_deliveries_send_one_mail(notification: Notification) -> None:
    assert deliver_notification.apply(args=[str(notification.pk)]).get() is True
    assert deliver_notification.apply(args=[str(notification.pk)]).get() is False
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 1


def test_a_task_delivered_twice_sends_one_mail(vendor_request):
    notify_request_created(vendor_request)
    assert_two_deliveries_send_one_mail(Notification.objects.get())


def test_a_failed_send_stays_pending_for_the_sweep(vendor_request):
    notify_request_created(vendor_request)
    notification = Notification.objects.get()
    with mock.patch("registry.outbox.send_mail", side_effect=OSError("SMTP is down")):
        assert outbox.deliver(notification.pk) is False
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert "SMTP is down" in notification.last_error
    assert outbox.deliver(notification.pk) is True
    assert len(mail.outbox) == 1


def test_it_gives_up_after_the_last_attempt(vendor_request, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    notify_request_created(vendor_request)
    notification = Notification.objects.get()
    with mock.patch("registry.outbox.send_mail", side_effect=OSError("no such mailbox")):
        outbox.deliver(notification.pk)
        outbox.deliver(notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert outbox.deliver(notification.pk) is False and mail.outbox == []


def test_a_fresh_claim_is_left_alone_but_a_stale_one_is_taken_over(vendor_request, settings):
    notify_request_created(vendor_request)
    notification = Notification.objects.get()
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENDING, claimed_at=timezone.now())
    assert outbox.deliver(notification.pk) is False
    stale = timezone.now() - timedelta(seconds=settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS + 1)
    Notification.objects.filter(pk=notification.pk).update(claimed_at=stale)
    assert outbox.deliver(notification.pk) is True
    assert len(mail.outbox) == 1


def test_the_sweep_sends_what_is_still_pending(vendor_request, settings):
    settings.NOTIFICATION_SWEEP_GRACE_SECONDS = 30
    with mock.patch.object(deliver_notification, "apply_async", side_effect=ConnectionError("broker down")):
        notify_request_created(vendor_request)  # queued, but the broker is down
    assert sweep_notifications.apply().get() == 0  # within the grace period: the first delivery may be on its way
    Notification.objects.update(created=timezone.now() - timedelta(minutes=1))
    assert sweep_notifications.apply().get() == 1
    assert len(mail.outbox) == 1
    assert sweep_notifications.apply().get() == 0


def test_a_broker_outage_does_not_fail_the_state_change(manager, vendor_request, django_capture_on_commit_callbacks):
    with mock.patch.object(deliver_notification, "apply_async", side_effect=ConnectionError("broker down")) as queue:
        with django_capture_on_commit_callbacks(execute=True):
            decided = approve_request(request_id=vendor_request.id, by=manager)
    assert queue.called  # the broker was asked, after the commit, and failed
    assert decided.status == RequestStatus.ACCEPTED
    vendor_request.refresh_from_db()
    assert vendor_request.status == RequestStatus.ACCEPTED
    assert SystemUser.objects.filter(pk=vendor_request.pk).exists()
    told = Notification.objects.get(kind="request.accepted")
    assert told.status == NotificationStatus.PENDING  # left for the sweep


def test_a_request_about_to_time_out_is_reminded_once(system, customer, settings):
    settings.REQUEST_TIMEOUT_DAYS, settings.REQUEST_REMINDER_DAYS = 30, 7
    due = make_request(system, customer)
    make_request(system, customer, external_ref="fresh")
    Request.objects.filter(pk=due.pk).update(created=timezone.now() - timedelta(days=24))
    assert remind_expiring_requests() == 1
    assert remind_expiring_requests() == 0
    reminder = Notification.objects.get(kind="request.reminder")
    assert reminder.object_id == str(due.pk) and reminder.recipient == customer.email
    assert "Påminnelse" in reminder.subject and str(due.pk) in reminder.body


def test_no_reminders_when_they_are_switched_off(system, customer, settings):
    settings.REQUEST_REMINDER_DAYS = 0
    due = make_request(system, customer)
    Request.objects.filter(pk=due.pk).update(created=timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS - 1))
    assert remind_expiring_requests() == 0


def test_every_beat_job_names_a_registered_task(settings):
    from config.celery import app

    app.loader.import_default_modules()
    scheduled = {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "registry.tasks.sweep_notifications",
        "registry.tasks.sweep_webhooks",
        "approvals.tasks.remind_expiring_requests",
        "approvals.tasks.time_out_requests",
        "approvals.tasks.mail_request_digests",
        "housekeeping.tasks.purge_expired_data",
    }
    assert scheduled <= set(app.tasks)


def test_staff_can_send_a_failed_notification_again(admin_client, vendor_request, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    notify_request_created(vendor_request)
    notification = Notification.objects.get()
    with mock.patch("registry.outbox.send_mail", side_effect=OSError("mailbox full")):
        outbox.deliver(notification.pk)
    assert Notification.objects.get().status == NotificationStatus.FAILED
    response = admin_client.post(
        "/admin/registry/notification/", {"action": "send_again", "_selected_action": [str(notification.pk)]}
    )
    assert response.status_code == 302
    assert Notification.objects.get().status == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_staff_see_requests_but_cannot_decide_them_in_the_admin(admin_client, vendor_request):
    assert admin_client.get("/admin/approvals/request/").status_code == 200
    page = admin_client.get(f"/admin/approvals/request/{vendor_request.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content

"""Change requests reach the customer: an e-mail to the access managers with the confirm link when a
vendor creates one (outbox, same transaction), a reminder before it times out, and the time-out."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from approvals.change_requests import ChangeSpec, create_change_request
from approvals.models import ChangeRequest, RequestStatus
from approvals.tasks import remind_expiring_requests, time_out_requests
from lib.errors import ServiceError
from registry.models import AuditEvent, Notification, SystemUser, SystemUserPackage
from tests import factories as f
from tests.api.conftest import REQUEST_WRITE, Api
from tests.approvals.test_notifications import assert_two_deliveries_send_one_mail
from tests.maskinporten.helpers import bearer_for

pytestmark = pytest.mark.django_db

SKATT = "urn:altinn:accesspackage:skatt-naering"


@pytest.fixture
def system_user(system, customer):
    return SystemUser.objects.create(
        integration_title="Fakturering for bakeriet", owner=customer, system=system, external_ref=customer.orgno
    )


def create(vendor, system_user, packages=(SKATT,), correlation_id=None):
    spec = ChangeSpec(required_packages=list(packages))
    correlation_id = correlation_id or str(uuid.uuid4())
    return create_change_request(
        vendor=vendor, correlation_id=correlation_id, system_user_id=str(system_user.pk), spec=spec
    )


def test_a_new_change_request_mails_the_access_managers_the_confirm_link(
    vendor, customer, manager, system_user, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example"
    other_manager = f.make_person("Tone Tilgang")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=other_manager)
    with django_capture_on_commit_callbacks(execute=True):
        change_request, created = create(vendor, system_user)
    assert created
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, other_manager.email])
    message = mail.outbox[0]
    assert vendor.name in message.subject and "endre en systemtilgang" in message.subject
    assert f"https://portal.example/systemuser/changerequest?id={change_request.id}" in message.body
    assert customer.name in message.body and "Fakturering for bakeriet" in message.body


def test_without_access_managers_with_e_mail_the_organisations_address_gets_it(vendor, customer, system_user):
    change_request, _ = create(vendor, system_user)  # the customer has no manager at all here
    assert list(Notification.objects.values_list("kind", "recipient", "object_id")) == [
        ("changerequest.created", customer.email, str(change_request.id))
    ]


def test_nothing_to_change_mails_nobody(vendor, manager, system_user):
    SystemUserPackage.objects.create(system_user=system_user, package_id="skatt-naering")
    change_request, _ = create(vendor, system_user)
    assert change_request.status == RequestStatus.NO_CHANGE_NEEDED
    assert not Notification.objects.exists()


def test_posting_the_same_correlation_id_again_mails_once(vendor, manager, system_user):
    correlation_id = str(uuid.uuid4())
    create(vendor, system_user, correlation_id=correlation_id)
    _, created = create(vendor, system_user, correlation_id=correlation_id)
    assert not created and Notification.objects.filter(kind="changerequest.created").count() == 1


def test_a_refused_change_request_mails_nobody(vendor, manager, system_user):
    with pytest.raises(ServiceError):
        create(vendor, system_user, packages=["urn:altinn:accesspackage:lonn"])  # not on the system
    assert not ChangeRequest.objects.exists() and not Notification.objects.exists()


def test_a_redelivered_task_sends_one_mail(vendor, manager, system_user):
    create(vendor, system_user)
    assert_two_deliveries_send_one_mail(Notification.objects.get(kind="changerequest.created"))


def test_the_vendor_api_queues_the_mail(vendor, manager, system_user):
    api = Api(Client(), bearer_for(vendor, REQUEST_WRITE))
    query = f"?correlation-id={uuid.uuid4()}&system-user-id={system_user.pk}"
    response = api.post("systemuser/changerequest/vendor" + query, {"requiredAccessPackages": [{"urn": SKATT}]})
    assert response.status_code == 201
    assert Notification.objects.get().recipient == manager.email


def test_a_change_request_about_to_time_out_is_reminded_once(vendor, manager, system_user, settings):
    settings.REQUEST_TIMEOUT_DAYS, settings.REQUEST_REMINDER_DAYS = 30, 7
    due, _ = create(vendor, system_user)
    create(vendor, system_user, packages=[])  # nothing to change: never reminded
    ChangeRequest.objects.update(created=timezone.now() - timedelta(days=24))
    assert remind_expiring_requests.apply().get() == 1
    assert remind_expiring_requests.apply().get() == 0
    reminder = Notification.objects.get(kind="changerequest.reminder")
    assert reminder.object_id == str(due.pk) and reminder.recipient == manager.email
    assert "Påminnelse" in reminder.subject and str(due.pk) in reminder.body


def test_old_open_change_requests_time_out_once(vendor, manager, system_user, settings):
    old, _ = create(vendor, system_user)
    fresh, _ = create(vendor, system_user)
    ChangeRequest.objects.filter(pk=old.pk).update(
        created=timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS + 1)
    )
    assert time_out_requests.apply().get() == 1
    assert time_out_requests.apply().get() == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (RequestStatus.TIMEDOUT, RequestStatus.NEW)
    assert AuditEvent.objects.filter(action="changerequest.timedout", object_id=str(old.pk)).count() == 1

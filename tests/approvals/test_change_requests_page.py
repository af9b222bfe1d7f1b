"""The business's page for a vendor's change request (CONTRACT §2.3): see, approve, reject."""

import uuid

import pytest

from approvals import change_requests
from approvals.models import ChangeRequest, RequestStatus
from lib.errors import ServiceError
from lib.identifiers import grouped_orgno
from registry.models import (
    AuditEvent,
    Notification,
    SystemPackage,
    SystemRight,
    SystemUser,
    SystemUserPackage,
    SystemUserRight,
)
from tests import factories as f
from tests.approvals.test_views import login
from tests.races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def system_user(system, customer):
    SystemPackage.objects.create(system=system, package_id="regnskapsforer-med-signeringsrettighet")
    SystemRight.objects.create(system=system, resource_id="ske-krav-og-betalinger", action="write")
    user = SystemUser.objects.create(
        integration_title="Fakturering", owner=customer, system=system, external_ref=customer.orgno
    )
    SystemUserRight.objects.create(system_user=user, resource_id="ske-krav-og-betalinger", action="read")
    return user


@pytest.fixture
def change_request(system_user, vendor):
    vendor.email = "salg@vendor.example"
    vendor.save()
    return ChangeRequest.objects.create(
        id=uuid.uuid4(),
        system_user=system_user,
        required_access_packages=["skatt-naering"],
        unwanted_rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
        redirect_url="https://vendor.example/callback?state=7",
    )


def test_a_look_up_without_an_id_finds_nothing_not_the_newest(change_request):
    """`get_change_request(None)` is AUTH-00010 while a change request exists, never the newest one."""
    with pytest.raises(ServiceError) as refused:
        change_requests.get_change_request(None)
    assert (refused.value.code, refused.value.status) == ("AUTH-00010", 404)
    assert change_requests.get_change_request(change_request.id) == change_request


@pytest.fixture
def api_client_for_vendor(vendor):
    """The vendor's API, with its own HTTP client (no portal session)."""
    from django.test import Client

    from tests.api.conftest import REQUEST_READ, Api
    from tests.maskinporten.helpers import bearer_for

    return Api(Client(), bearer_for(vendor, REQUEST_READ))


@pytest.fixture
def as_manager(client, manager):
    return login(client, manager)


def page(cr):
    return f"/systemuser/changerequest?id={cr.id}"


def held(system_user):
    packages = set(SystemUserPackage.objects.filter(system_user=system_user).values_list("package_id", flat=True))
    rights = set(SystemUserRight.objects.filter(system_user=system_user).values_list("resource_id", "action"))
    return packages, rights


def test_an_anonymous_visitor_is_sent_to_login_and_back(client, change_request):
    response = client.get(page(change_request))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=") and str(change_request.id) in response["Location"]


def test_the_page_shows_what_is_added_and_what_is_removed_in_plain_words(as_manager, vendor, customer, change_request):
    response = as_manager.get(page(change_request))
    text = response.content.decode()
    assert response.status_code == 200
    assert vendor.name in text and grouped_orgno(vendor.orgno) in text and customer.name in text
    added = text.split('data-testid="add-packages"')[1].split("</ul>")[0]
    removed = text.split('data-testid="remove-rights"')[1].split("</ul>")[0]
    assert "Skatt næring" in added
    assert "Krav og betalinger" in removed and "lese" in removed
    assert "Godkjenn" in text and "Avvis" in text
    assert as_manager.session["actor_orgno"] == customer.orgno and "Du representerer nå" in text


def test_approving_applies_the_change_and_tells_the_vendor(as_manager, api_client_for_vendor, change_request):
    system_user = change_request.system_user
    assert as_manager.get(page(change_request)).status_code == 200  # the link: act for the customer
    response = as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 302
    assert response["Location"] == "https://vendor.example/callback?state=7"
    assert held(system_user) == ({"skatt-naering"}, set())
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.ACCEPTED
    event = AuditEvent.objects.get(action="changerequest.approved")
    assert (event.object_type, event.object_id) == ("systemuser", str(system_user.pk))
    assert event.data["added"]["packages"] == ["skatt-naering"]
    assert event.data["removed"]["rights"] == [{"resource": "ske-krav-og-betalinger", "action": "read"}]
    mail = Notification.objects.get(kind="changerequest.approved")
    assert mail.recipient == "salg@vendor.example" and "Endringsforespørsel godkjent" in mail.subject
    assert "Lagt til: urn:altinn:accesspackage:skatt-naering\n" in mail.body
    assert "Fjernet: ske-krav-og-betalinger:read\n" in mail.body
    details = as_manager.get(f"/systemuser/{system_user.pk}/").content.decode()
    assert "Endring av rettigheter godkjent" in details
    vendor_view = api_client_for_vendor.get(f"systemuser/changerequest/vendor/{change_request.id}")
    assert vendor_view.status_code == 200 and vendor_view.json()["status"] == "Accepted"


def test_a_package_already_held_is_not_added_twice(as_manager, change_request):
    SystemUserPackage.objects.create(system_user=change_request.system_user, package_id="skatt-naering")
    as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert SystemUserPackage.objects.filter(system_user=change_request.system_user).count() == 1
    assert AuditEvent.objects.get(action="changerequest.approved").data["added"]["packages"] == []


def test_rejecting_changes_nothing_but_the_status(as_manager, change_request):
    before = held(change_request.system_user)
    response = as_manager.post(f"/systemuser/changerequest/{change_request.id}/reject/")
    assert response.status_code == 302
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.REJECTED
    assert held(change_request.system_user) == before
    assert AuditEvent.objects.filter(action="changerequest.rejected", object_type="systemuser").count() == 1
    assert Notification.objects.filter(kind="changerequest.rejected", recipient="salg@vendor.example").exists()


def test_without_an_allowed_redirect_url_the_person_sees_the_decided_page(as_manager, system, change_request):
    system.allowed_redirect_urls = ["https://vendor.example/other"]
    system.save(update_fields=["allowed_redirect_urls"])
    response = as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/", follow=True)
    assert response.redirect_chain[-1][0] == page(change_request)
    text = response.content.decode()
    assert "Endringen er godkjent" in text and "/approve/" not in text


def test_an_employee_without_access_manager_rights_cannot_decide(client, employee, change_request):
    login(client, employee)
    text = client.get(page(change_request)).content.decode()
    assert "Bare en tilgangsstyrer" in text and "/approve/" not in text and "/reject/" not in text
    before = held(change_request.system_user)
    response = client.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 403 and "AUTH-00066" in response.content.decode()
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW and held(change_request.system_user) == before
    assert not AuditEvent.objects.filter(action__startswith="changerequest.").exclude(action="changerequest.created")


def test_an_outsider_is_refused_and_sees_nothing(client, outsider, vendor, customer, change_request):
    login(client, outsider)
    for response in (
        client.get(page(change_request)),
        client.post(f"/systemuser/changerequest/{change_request.id}/approve/"),
    ):
        text = response.content.decode()
        assert response.status_code == 403 and "AUTH-00041" in text
        for secret in (vendor.name, customer.name, customer.orgno, "Skatt næring"):
            assert secret not in text
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW
    assert "actor_orgno" not in client.session


def test_a_package_the_approver_may_not_delegate_is_named_and_nothing_changes(client, customer, change_request):
    admin = f.make_person("Tilgang Styrer")
    f.delegate_package("tilgangsstyrer", from_org=customer, to=admin)
    login(client, admin)
    text = client.get(page(change_request)).content.decode()
    assert "Tilgangspakken «Skatt næring»" in text and "du har den ikke selv for virksomheten" in text
    assert "/approve/" not in text and "/reject/" in text
    before = held(change_request.system_user)
    response = client.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 400
    assert "AUTH-00053" in response.content.decode() and "Tilgangspakken «Skatt næring»" in response.content.decode()
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW and held(change_request.system_user) == before
    assert not Notification.objects.exists()


def test_a_package_removed_from_the_system_since_is_refused(as_manager, system, change_request):
    SystemPackage.objects.filter(system=system, package_id="skatt-naering").delete()
    response = as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 400 and "AUTH-00063" in response.content.decode()
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW


@pytest.mark.parametrize(
    "status,words",
    [
        (RequestStatus.ACCEPTED, "Endringen er godkjent"),
        (RequestStatus.REJECTED, "er avvist"),
        (RequestStatus.TIMEDOUT, "er utløpt"),
    ],
)
def test_a_decided_change_request_shows_its_state_and_refuses_decisions(as_manager, change_request, status, words):
    ChangeRequest.objects.filter(pk=change_request.pk).update(status=status)
    text = as_manager.get(page(change_request)).content.decode()
    assert words in text and "/approve/" not in text and "/reject/" not in text
    response = as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 409 and "allerede behandlet" in response.content.decode()
    assert held(change_request.system_user) == (set(), {("ske-krav-og-betalinger", "read")})


def test_approving_twice_gives_one_transition(as_manager, change_request):
    as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    response = as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 409
    assert AuditEvent.objects.filter(action="changerequest.approved").count() == 1
    assert Notification.objects.filter(kind="changerequest.approved").count() == 1


def test_decisions_are_only_taken_by_post(as_manager, change_request):
    assert as_manager.get(f"/systemuser/changerequest/{change_request.id}/approve/").status_code == 405
    assert as_manager.get(f"/systemuser/changerequest/{change_request.id}/reject/").status_code == 405
    assert as_manager.post(page(change_request)).status_code == 405
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW


@pytest.mark.parametrize("raw_id", ["abc", "", "00000000-0000-0000-0000-000000000000"])
def test_bad_or_unknown_ids_are_not_found(as_manager, raw_id):
    response = as_manager.get(f"/systemuser/changerequest?id={raw_id}")
    assert response.status_code == 404 and "Fant ikke forespørselen" in response.content.decode()


def test_a_withdrawn_change_request_is_not_found(as_manager, change_request):
    ChangeRequest.objects.filter(pk=change_request.pk).update(is_deleted=True)
    assert as_manager.get(page(change_request)).status_code == 404
    assert as_manager.post(f"/systemuser/changerequest/{change_request.id}/approve/").status_code == 404


def test_the_page_speaks_english_when_asked(as_manager, change_request):
    as_manager.cookies["django_language"] = "en"
    text = as_manager.get(page(change_request)).content.decode()
    assert "asks to change a system access" in text and "will lose this access" in text
    assert "Business tax" in text and "Skatt næring" not in text


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_and_rejections_make_one_transition(manager, change_request):
    approve = lambda: change_requests.approve_change_request(change_request.id, by=manager)  # noqa: E731
    reject = lambda: change_requests.reject_change_request(change_request.id, by=manager)  # noqa: E731
    outcomes = race([approve] * 4 + [reject] * 2, result=lambda decided: decided.status)
    winners = [o for o in outcomes if o != "AUTH-00013"]
    assert len(outcomes) == 6 and len(winners) == 1
    change_request.refresh_from_db()
    assert change_request.status == winners[0]
    expected = (
        ({"skatt-naering"}, set())
        if winners[0] == RequestStatus.ACCEPTED
        else (set(), {("ske-krav-og-betalinger", "read")})
    )
    assert held(change_request.system_user) == expected
    assert AuditEvent.objects.filter(action__in=["changerequest.approved", "changerequest.rejected"]).count() == 1
    assert Notification.objects.filter(kind__startswith="changerequest.").count() == 1


@pytest.mark.parametrize(
    "status,added,removed",
    [
        (RequestStatus.NEW, "Systemet vil få disse tilgangene i tillegg", "Systemet vil miste disse tilgangene"),
        (RequestStatus.ACCEPTED, "Systemet fikk disse tilgangene i tillegg", "Systemet mistet disse tilgangene"),
        (RequestStatus.REJECTED, "Leverandøren ba om disse tilgangene i tillegg", "Leverandøren ba om å fjerne disse"),
        (RequestStatus.TIMEDOUT, "Leverandøren ba om disse tilgangene i tillegg", "Leverandøren ba om å fjerne disse"),
    ],
)
def test_the_headings_say_what_happened_once_decided(as_manager, change_request, status, added, removed):
    # Issue 17 item 4: an approved change still said the system "will get" the rights.
    ChangeRequest.objects.filter(pk=change_request.pk).update(status=status)
    text = as_manager.get(page(change_request)).content.decode()
    assert added in text and removed in text
    assert status == RequestStatus.NEW or "vil få" not in text and "vil miste" not in text

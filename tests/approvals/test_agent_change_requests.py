"""Change requests for agent system users: approving adds or removes required packages; the clients
stay, and the page names the clients that do not give the owner an added package — the PDP permits
nothing through that package for them until they do."""

import uuid

import pytest

from approvals import change_requests
from approvals.models import ChangeRequest, RequestStatus
from authorization.decisions import decide
from authorization.xacml import Question
from lib.errors import ServiceError
from registry.models import AuditEvent, ClientDelegation, Notification, SystemUser, SystemUserPackage, SystemUserType
from tests import factories as f
from tests.approvals.test_views import login
from tests.factories import SIGNING

pytestmark = pytest.mark.django_db

PAYROLL = "regnskapsforer-lonn"
A_MELDING = "ske-innrapportering-a-melding"  # its policy grants write to regnskapsforer-lonn only (of these)


@pytest.fixture
def firm_manager(accounting_firm):
    person = f.make_person("Dagny Daglig")
    f.give_role(person, "DAGL", accounting_firm)
    return person


@pytest.fixture
def agent(accounting_firm, vendor):
    system = f.make_system(vendor, "regnskapsbyraa", rights=[], packages=[SIGNING, PAYROLL], visible=False)
    system_user = SystemUser.objects.create(
        integration_title="Byråsystem",
        owner=accounting_firm,
        system=system,
        external_ref=accounting_firm.orgno,
        user_type=SystemUserType.AGENT,
    )
    SystemUserPackage.objects.create(system_user=system_user, package_id=SIGNING)
    return system_user


def add_client(agent, name: str, *, regn: bool):
    """A client of the firm: by the REGN role (gives every accountant package) or by the signing package only."""
    client = f.make_org(name)
    if regn:
        f.give_role(agent.owner, "REGN", client)
    else:
        f.delegate_package(SIGNING, from_org=client, to=agent.owner)
    ClientDelegation.objects.create(system_user=agent, client=client, packages=[SIGNING])
    return client


@pytest.fixture
def clients(agent):
    return add_client(agent, "Bakeriet AS", regn=True), add_client(agent, "Fiskebutikken AS", regn=False)


def change(agent, **fields) -> ChangeRequest:
    values = {"required_access_packages": [PAYROLL], "redirect_url": "https://vendor.example/callback"}
    values.update(fields)
    return ChangeRequest.objects.create(id=uuid.uuid4(), system_user=agent, **values)


def packages_of(system_user) -> set[str]:
    return set(SystemUserPackage.objects.filter(system_user=system_user).values_list("package_id", flat=True))


def page(change_request) -> str:
    return f"/systemuser/changerequest?id={change_request.id}"


def test_approving_adds_the_package_and_keeps_every_client(agent, clients, firm_manager):
    change_request = change(agent)
    change_requests.approve_change_request(change_request.id, by=firm_manager)
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.ACCEPTED
    assert packages_of(agent) == {SIGNING, PAYROLL}
    assert set(ClientDelegation.objects.filter(system_user=agent).values_list("client__name", flat=True)) == {
        "Bakeriet AS",
        "Fiskebutikken AS",
    }
    event = AuditEvent.objects.get(action="changerequest.approved")
    assert event.object_id == str(agent.pk) and event.data["added"]["packages"] == [PAYROLL]
    assert Notification.objects.filter(kind="changerequest.approved").count() == 1


def test_after_approval_the_pdp_permits_the_new_package_only_for_clients_that_give_it(agent, clients, firm_manager):
    regn_client, signing_only_client = clients

    def write_a_melding(client):
        return decide(Question(agent.pk, "write", A_MELDING, party_orgno=client.orgno))

    assert write_a_melding(regn_client).decision == "NotApplicable"  # not yet: the package is not required
    change_requests.approve_change_request(change(agent).id, by=firm_manager)
    assert write_a_melding(regn_client).decision == "Permit"
    assert write_a_melding(regn_client).package == PAYROLL
    lacking = write_a_melding(signing_only_client)
    assert (lacking.decision, lacking.reason) == ("NotApplicable", "facilitator_lacks_package")
    f.delegate_package(PAYROLL, from_org=signing_only_client, to=agent.owner)  # the client gives it
    assert write_a_melding(signing_only_client).decision == "Permit"


def test_the_clients_lacking_a_new_package_are_the_ones_the_pdp_refuses(agent, clients):
    regn_client, signing_only_client = clients
    assert list(change_requests.clients_lacking_new_packages(change(agent))) == [signing_only_client]
    assert not change_requests.clients_lacking_new_packages(change(agent, required_access_packages=[SIGNING]))


def test_approving_removes_a_package_and_the_pdp_stops_permitting_through_it(agent, clients, firm_manager):
    regn_client, _ = clients
    krav = Question(agent.pk, "write", "ske-krav-og-betalinger", party_orgno=regn_client.orgno)
    assert decide(krav).decision == "Permit"
    removal = change(agent, required_access_packages=[PAYROLL], unwanted_access_packages=[SIGNING])
    change_requests.approve_change_request(removal.id, by=firm_manager)
    assert packages_of(agent) == {PAYROLL}
    assert decide(krav).decision == "NotApplicable"
    assert ClientDelegation.objects.filter(system_user=agent).count() == 2


def test_an_employee_of_the_firm_without_access_manager_rights_cannot_approve(agent, accounting_firm, client_admin):
    change_request = change(agent)
    with pytest.raises(ServiceError) as err:
        change_requests.approve_change_request(change_request.id, by=client_admin)
    assert err.value.code == "AUTH-00066"
    assert packages_of(agent) == {SIGNING}


def test_a_package_that_is_not_for_clients_is_refused_at_approval(agent, firm_manager):
    from registry.models import SystemPackage

    SystemPackage.objects.create(system=agent.system, package_id="maskinlesbare-hendelser")
    change_request = change(agent, required_access_packages=["maskinlesbare-hendelser"])
    with pytest.raises(ServiceError) as err:
        change_requests.approve_change_request(change_request.id, by=firm_manager)
    assert err.value.code == "AUTH-00065"
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW and packages_of(agent) == {SIGNING}


def test_single_rights_never_land_on_an_agent_system_user(agent, firm_manager):
    change_request = change(agent, required_rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}])
    with pytest.raises(ServiceError) as err:
        change_requests.approve_change_request(change_request.id, by=firm_manager)
    assert err.value.code == "AUTH-00058"
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.NEW and not agent.rights.exists()


def test_the_page_names_clients_lacking_the_new_package_and_offers_approve(client, agent, clients, firm_manager):
    login(client, firm_manager)
    change_request = change(agent)
    text = client.get(page(change_request)).content.decode()
    lacking = text.split('data-testid="clients-lacking"')[1].split("</div>")[0]
    assert "1 klient gir ikke" in lacking and "Fiskebutikken AS" in lacking and "Bakeriet AS" not in lacking
    assert "Regnskapsfører lønn" in text.split('data-testid="add-packages"')[1].split("</ul>")[0]
    assert f"/systemuser/changerequest/{change_request.id}/approve/" in text
    response = client.post(f"/systemuser/changerequest/{change_request.id}/approve/")
    assert response.status_code == 302 and response["Location"] == "https://vendor.example/callback"
    assert packages_of(agent) == {SIGNING, PAYROLL}
    after = client.get(page(change_request)).content.decode()
    assert "Endringen er godkjent" in after and "clients-lacking" not in after


def test_the_page_counts_all_lacking_clients_but_names_the_first_five(client, agent, firm_manager):
    for n in range(7):
        add_client(agent, f"Klient {n} AS", regn=False)
    login(client, firm_manager)
    text = client.get(page(change(agent))).content.decode()
    lacking = text.split('data-testid="clients-lacking"')[1].split("</div>")[0]
    assert "7 klienter gir ikke" in lacking and "og 2 klienter til" in lacking
    assert [n for n in range(7) if f"Klient {n} AS" in lacking] == [0, 1, 2, 3, 4]


def test_without_new_packages_the_page_names_no_clients(client, agent, clients, firm_manager):
    login(client, firm_manager)
    removal = change(agent, required_access_packages=[], unwanted_access_packages=[SIGNING])
    text = client.get(page(removal)).content.decode()
    assert "clients-lacking" not in text and "Tilgangspakke" in text


def test_the_lacking_clients_speak_english_when_asked(client, agent, clients, firm_manager):
    login(client, firm_manager)
    client.cookies["django_language"] = "en"
    text = client.get(page(change(agent))).content.decode()
    assert "1 client does not give" in text


def test_naming_the_lacking_clients_costs_the_same_queries_for_many_clients(client, agent, firm_manager, monkeypatch):
    """Counted and named in the database: no client is weighed one by one in Python, however many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.portal.test_list_budgets import assessed_one_by_one

    login(client, firm_manager)
    change_request = change(agent)
    add_client(agent, "Første AS", regn=False)
    client.get(page(change_request))  # the first visit also switches act-for
    with CaptureQueriesContext(connection) as few:
        client.get(page(change_request))
    for n in range(10):
        add_client(agent, f"Klient {n} AS", regn=n % 2 == 0)
    seen = assessed_one_by_one(monkeypatch)  # the page's visit only (the roles given above write the firm's list)
    with CaptureQueriesContext(connection) as many:
        text = client.get(page(change_request)).content.decode()
    assert "6 klienter gir ikke" in text
    assert len(many) == len(few) and not seen

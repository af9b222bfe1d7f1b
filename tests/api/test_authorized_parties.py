"""AuthorizedParties for a system user: with its own token the vendor's program learns which parties
the system user may act for — the owner (standard) or each client with its packages (agent), paged —
and nothing of another vendor's system users; person tokens and plain vendor tokens are refused."""

import time

import pytest

from lib.tokens.access import issue_access_token, systemuser_authorization_details
from lib.tokens.person import sign_person_token
from registry import listings
from registry.models import ClientDelegation, Role, RoleAssignment, SystemUser, SystemUserPackage, SystemUserRight
from registry.services import clients
from tests import factories as f
from tests.api.conftest import assert_problem
from tests.factories import SIGNING
from tests.maskinporten.helpers import bearer_for, bearer_for_system_user, exchanged, make_client

pytestmark = pytest.mark.django_db

URL = "/accessmanagement/api/v1/authorizedparties"
SCOPE = "altinn:demo/krav.read"


def get(client, bearer, **params):
    return client.get(URL, params, HTTP_AUTHORIZATION=bearer)


@pytest.fixture
def standard(customer, system):
    system_user = SystemUser.objects.create(
        integration_title="Fakturering", owner=customer, system=system, external_ref=customer.orgno
    )
    SystemUserPackage.objects.create(system_user=system_user, package_id="skatt-naering")
    SystemUserRight.objects.create(system_user=system_user, resource_id="ske-krav-og-betalinger", action="read")
    return system_user


def test_a_standard_system_user_acts_for_its_owner_with_its_packages_and_rights(client, standard, customer):
    response = get(client, bearer_for_system_user(standard, SCOPE))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["links"] == {"next": None}
    (party,) = body["data"]
    assert party["partyUuid"] == str(customer.pk) and party["organizationNumber"] == customer.orgno
    assert party["name"] == customer.name and party["type"] == "Organization" and party["unitType"] == "AS"
    assert party["authorizedAccessPackages"] == ["skatt-naering"]
    assert party["authorizedResources"] == ["ske-krav-og-betalinger"]
    assert party["isDeleted"] is False and party["subunits"] == []


def test_an_agent_system_user_acts_for_each_client_and_the_firm_itself_when_added(
    client, agent, accounting_firm, firm_clients, client_admin
):
    aurora, bryggen, _ = firm_clients
    bearer = bearer_for_system_user(agent, SCOPE)
    assert get(client, bearer).json()["data"] == []  # no clients yet: acts for no one

    orgnos = [aurora.orgno, bryggen.orgno, accounting_firm.orgno]
    clients.add_clients(system_user_id=agent.pk, orgnos=orgnos, by=client_admin)
    parties = get(client, bearer).json()["data"]
    assert {p["organizationNumber"] for p in parties} == set(orgnos)
    assert {tuple(p["authorizedAccessPackages"]) for p in parties} == {(SIGNING,)}

    # The firm loses the REGN role for Bryggen: the system user may no longer act for it.
    RoleAssignment.objects.filter(holder_org=accounting_firm, of=bryggen).delete()
    assert bryggen.orgno not in {p["organizationNumber"] for p in get(client, bearer).json()["data"]}


def test_the_platform_token_exchanged_from_it_works_too(client, standard):
    bearer = exchanged(bearer_for_system_user(standard, SCOPE))
    assert get(client, bearer).json()["data"][0]["authorizedAccessPackages"] == ["skatt-naering"]


def test_many_clients_come_in_pages_in_a_fixed_number_of_queries(
    client, agent, accounting_firm, client_admin, django_assert_max_num_queries
):
    regn = Role.objects.get(legacy_code="REGN")
    orgs = [f.make_org(f"Klient {i:03d} AS") for i in range(120)]
    RoleAssignment.objects.bulk_create([RoleAssignment(role=regn, of=o, holder_org=accounting_firm) for o in orgs])
    listings.refresh(accounting_firm, [o.pk for o in orgs])  # as the register importer does after bulk inserts
    clients.add_each(system_user_id=agent.pk, orgnos=None, by=client_admin)
    bearer = bearer_for_system_user(agent, SCOPE)
    seen, url, pages = [], URL, 0
    while url:
        with django_assert_max_num_queries(12):
            body = client.get(url, HTTP_AUTHORIZATION=bearer).json()
        seen += [p["organizationNumber"] for p in body["data"]]
        url, pages = body["links"]["next"], pages + 1
    assert pages == 3 and len(seen) == len(set(seen)) == 121  # 120 clients and the firm itself


def test_another_vendors_token_sees_nothing_of_this_system_user(
    client, agent, other_vendor, firm_clients, client_admin
):
    clients.add_clients(system_user_id=agent.pk, orgnos=[firm_clients[0].orgno], by=client_admin)
    theirs = f.make_agent_system_user(f.make_org("Annet Byrå AS"), f.make_system(other_vendor, "annet", rights=[]), [])
    parties = get(client, bearer_for_system_user(theirs, SCOPE)).json()["data"]
    assert parties == []
    # Even a token of the other vendor's that named this system user (which /token never issues).
    their_client, _ = make_client(other_vendor, SCOPE)
    details = systemuser_authorization_details(agent)
    forged = issue_access_token(client=their_client, scopes=[SCOPE], authorization_details=details)
    assert_problem(get(client, "Bearer " + forged["access_token"]), 404, "AUTH-00015")


def test_a_deleted_system_user_is_not_found(client, standard):
    bearer = bearer_for_system_user(standard, SCOPE)
    SystemUser.objects.filter(pk=standard.pk).update(is_deleted=True)
    assert_problem(get(client, bearer), 404, "AUTH-00015")


def test_person_tokens_and_tokens_without_a_system_user_are_refused(client, client_admin, vendor):
    person, _ = sign_person_token(
        pid=client_admin.pid, scopes=["altinn:clientdelegations.read"], not_after=int(time.time()) + 60
    )
    assert get(client, f"Bearer {person}").status_code == 401
    assert get(client, "").status_code == 401
    assert_problem(get(client, bearer_for(vendor, SCOPE)), 403, "HTTP-403")


def test_only_get_is_allowed(client, standard):
    response = client.post(URL, HTTP_AUTHORIZATION=bearer_for_system_user(standard, SCOPE))
    assert response.status_code == 405
    assert ClientDelegation.objects.count() == 0

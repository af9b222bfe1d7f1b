"""The firm itself as a client of its own agent system access (Altinn, May 2026): one system access
serves the firm and its clients. The firm holds its own packages (registry.access.own_packages); the
service, the end-user API, /token and the PDP treat it like any other client."""

import json

import jwt
import pytest

from lib.errors import ServiceError
from registry import access
from registry.models import ClientDelegation
from registry.services import clients
from tests import factories as f
from tests.api.test_enduser_clients import person_bearer
from tests.factories import SIGNING
from tests.maskinporten.helpers import GrantSetup, bearer_for, make_client, systemuser_details

KRAV = "ske-krav-og-betalinger"  # its policy grants read and write to SIGNING
PDP = "/authorization/api/v1/authorize"


def decide(http, system_user_id, action, orgno) -> str:
    attrs = lambda *pairs: {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}  # noqa: E731
    body = {
        "Request": {
            "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", str(system_user_id)))],
            "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", action))],
            "Resource": [attrs(("urn:altinn:resource", KRAV), ("urn:altinn:organization:identifier-no", orgno))],
        }
    }
    auth = bearer_for(f.make_org("Skatteetaten"), "altinn:authorization/authorize")
    response = http.post(PDP, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content
    return response.json()["Response"][0]["Decision"]


def test_the_firm_itself_is_offered_first_and_named_as_itself(agent, accounting_firm, firm_clients):
    eligible = clients.eligible_clients(agent)
    assert eligible[0].org_id == accounting_firm.pk
    assert eligible[0].role_code == access.OWN_ORGANISATION and eligible[0].packages == (SIGNING,)
    assert [c.name for c in eligible[1:]] == ["Aurora Data AS", "Bryggen Blomster AS", "Fjordkaffe AS"]


def test_the_firm_adds_and_removes_itself_with_one_event_each(agent, accounting_firm, client_admin):
    made = clients.add_clients(system_user_id=agent.pk, orgnos=[accounting_firm.orgno], by=client_admin)
    assert [(row.client_id, row.role_code, row.packages) for row in made] == [
        (accounting_firm.pk, access.OWN_ORGANISATION, [SIGNING])
    ]
    assert clients.eligible_clients(agent) == []
    assert clients.remove_client(system_user_id=agent.pk, orgno=accounting_firm.orgno, by=client_admin)
    assert not ClientDelegation.objects.exists()


def test_the_firm_cannot_be_its_own_client_for_a_package_its_form_never_holds(accounting_firm, vendor, client_admin):
    """forretningsfører eiendom is for housing co-operatives (ESEK, BRL) only: an AS never holds it."""
    system = f.make_system(vendor, "eiendom", rights=[], packages=["forretningsforer-eiendom"])
    agent = f.make_agent_system_user(accounting_firm, system, ["forretningsforer-eiendom"])
    assert clients.eligible_clients(agent) == []
    with pytest.raises(ServiceError) as refused:
        clients.add_clients(system_user_id=agent.pk, orgnos=[accounting_firm.orgno], by=client_admin)
    assert refused.value.code == "AUTH-00080"  # it holds other packages for itself, not this one
    assert not ClientDelegation.objects.exists()


def test_own_packages_agree_with_packages_of_org_for(accounting_firm):
    housing = f.make_org("Borettslaget Lia", form="BRL")
    for org in (accounting_firm, housing):
        held = {code for code, grant in access.packages_of_org_for(org, org).items() if grant.has_access}
        assert held == access.own_packages(org)
    assert SIGNING in access.own_packages(accounting_firm)
    assert "forretningsforer-eiendom" in access.own_packages(housing)
    assert "forretningsforer-eiendom" not in access.own_packages(accounting_firm)


def test_the_pdp_permits_for_the_firm_only_while_it_is_its_own_client(client, agent, accounting_firm, client_admin):
    assert decide(client, agent.pk, "read", accounting_firm.orgno) == "NotApplicable"
    clients.add_clients(system_user_id=agent.pk, orgnos=[accounting_firm.orgno], by=client_admin)
    assert decide(client, agent.pk, "read", accounting_firm.orgno) == "Permit"
    assert decide(client, agent.pk, "write", accounting_firm.orgno) == "Permit"
    clients.remove_client(system_user_id=agent.pk, orgno=accounting_firm.orgno, by=client_admin)
    assert decide(client, agent.pk, "read", accounting_firm.orgno) == "NotApplicable"


def test_a_token_from_token_acts_for_the_firm_once_it_is_its_own_client(client, agent, accounting_firm, client_admin):
    """The vendor's program asks /token for the agent system user (systemuser_org = the firm, as ever);
    the PDP then permits for the firm as party, as for any client."""
    vendor_client, kid = make_client(agent.system.vendor, "altinn:demo/krav.read", client_id="client-byraa")
    agent.system.clients.create(client_id="client-byraa")
    grant = GrantSetup(vendor_client, kid, agent).grant(details=systemuser_details(accounting_firm.orgno))
    response = GrantSetup.post(client, grant)
    assert response.status_code == 200, response.content
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    system_user_id = claims["authorization_details"][0]["systemuser_id"][0]
    assert system_user_id == str(agent.pk)
    assert decide(client, system_user_id, "read", accounting_firm.orgno) == "NotApplicable"
    clients.add_clients(system_user_id=agent.pk, orgnos=[accounting_firm.orgno], by=client_admin)
    assert decide(client, system_user_id, "read", accounting_firm.orgno) == "Permit"


def test_the_enduser_api_lists_and_adds_the_firm_itself(client, agent, accounting_firm, client_admin):
    auth = {"HTTP_AUTHORIZATION": person_bearer(client_admin)}
    base = "/authentication/api/v1/enduser/systemuser/clients"
    available = client.get(f"{base}/available", {"agent": agent.pk}, **auth).json()["data"]
    assert available[0]["clientId"] == str(accounting_firm.pk)
    response = client.post(f"{base}?agent={agent.pk}&client={accounting_firm.pk}", **auth)
    assert response.status_code == 200, response.content
    added = client.get(base, {"agent": agent.pk}, **auth).json()["data"]
    assert [c["clientOrganizationNumber"] for c in added] == [accounting_firm.orgno]
    response = client.delete(f"{base}?agent={agent.pk}&client={accounting_firm.pk}", **auth)
    assert response.status_code == 200 and not ClientDelegation.objects.exists()


def test_adding_all_reports_the_firm_itself_first_then_the_clients_by_name(agent, accounting_firm, client_admin):
    for name in ("Bryggen Blomster AS", "Aaa Først AS"):
        f.give_role(accounting_firm, "REGN", f.make_org(name))
    outcomes = clients.add_each(system_user_id=agent.pk, orgnos=None, by=client_admin)
    assert [(o.name, o.result) for o in outcomes] == [
        (accounting_firm.name, clients.ADDED),
        ("Aaa Først AS", clients.ADDED),
        ("Bryggen Blomster AS", clients.ADDED),
    ]

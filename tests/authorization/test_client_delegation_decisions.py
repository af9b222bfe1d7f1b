"""The PDP follows client delegation at once: a client added in the portal's service permits on the
next decision, a removed one no longer does (DESIGN invariant 5)."""

import json

import pytest

from registry.services import clients
from tests import factories as f
from tests.maskinporten.helpers import bearer_for

URL = "/authorization/api/v1/authorize"
KRAV = "ske-krav-og-betalinger"  # its policy grants read and write to SIGNING


@pytest.fixture
def decide(client, db):
    auth = bearer_for(f.make_org("Skatteetaten"), "altinn:authorization/authorize")

    def post(system_user, action, resource, orgno) -> str:
        attrs = lambda *pairs: {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}  # noqa: E731
        body = {
            "Request": {
                "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", str(system_user.pk)))],
                "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", action))],
                "Resource": [
                    attrs(("urn:altinn:resource", resource), ("urn:altinn:organization:identifier-no", orgno))
                ],
            }
        }
        response = client.post(URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200, response.content
        return response.json()["Response"][0]["Decision"]

    return post


def test_adding_a_client_permits_at_once_and_removing_it_stops_at_once(decide, agent, accounting_firm, client_admin):
    klient = f.make_org("Fjordkaffe AS")
    f.give_role(accounting_firm, "REGN", klient)
    assert decide(agent, "read", KRAV, klient.orgno) == "NotApplicable"

    clients.add_clients(system_user_id=agent.pk, orgnos=[klient.orgno], by=client_admin)
    assert decide(agent, "read", KRAV, klient.orgno) == "Permit"
    assert decide(agent, "write", KRAV, klient.orgno) == "Permit"
    assert decide(agent, "read", "ske-innrapportering-a-melding", klient.orgno) == "NotApplicable"  # not required

    clients.remove_client(system_user_id=agent.pk, orgno=klient.orgno, by=client_admin)
    assert decide(agent, "read", KRAV, klient.orgno) == "NotApplicable"


def test_adding_one_client_permits_for_that_client_only(decide, agent, accounting_firm, client_admin):
    added, other = f.make_org("Lagt Til AS"), f.make_org("Ikke Lagt Til AS")
    for org in (added, other):
        f.give_role(accounting_firm, "REGN", org)
    clients.add_clients(system_user_id=agent.pk, orgnos=[added.orgno], by=client_admin)
    assert decide(agent, "read", KRAV, added.orgno) == "Permit"
    assert decide(agent, "read", KRAV, other.orgno) == "NotApplicable"
    assert decide(agent, "read", KRAV, accounting_firm.orgno) == "NotApplicable"

"""A vendor's program end to end, as with Altinn: the person logs in at a real OpenID provider (oidc-provider
on loopback, ID-porten-style JWT access token with `pid`, `acr` and the client-delegation scopes), the
program exchanges the access token for a person token and manages the firm's clients with it."""

import pytest

from registry.models import AuditEvent, ClientDelegation
from tests import factories as f
from tests.factories import SIGNING
from tests.oidc_provider.fixtures import idporten_access_token, pid_of

pytestmark = pytest.mark.django_db

API = "/authentication/api/v1/"
KARI = pid_of("Kari")  # substantial
LISE = pid_of("Lise")  # low


@pytest.fixture
def firm(accounting_firm, vendor):
    kari = f.make_person("Kari Testid Nordmann", pid=KARI)
    f.delegate_package("klientadministrator", from_org=accounting_firm, to=kari)
    agent = f.make_agent_system_user(
        accounting_firm, f.make_system(vendor, "byraa", rights=[], packages=[SIGNING]), [SIGNING]
    )
    customers = [f.make_org(name) for name in ("Aurora Data AS", "Bryggen Blomster AS")]
    for org in customers:
        f.give_role(accounting_firm, "REGN", org)
    return agent, customers


def exchanged(client, access_token: str) -> str:
    response = client.get(API + "exchange/id-porten", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_a_vendors_program_manages_clients_with_the_persons_id_porten_login(
    client, oidc_settings, firm, accounting_firm
):
    agent, (aurora, bryggen) = firm
    token = exchanged(client, idporten_access_token(oidc_settings.OIDC_ISSUER, KARI))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    agents = client.get(API + "enduser/systemuser/agents", {"party": accounting_firm.orgno}, **auth).json()
    assert [a["id"] for a in agents] == [str(agent.pk)]

    available = client.get(API + "enduser/systemuser/clients/available", {"agent": agent.pk}, **auth).json()
    # The firm itself first: it may be its own client.
    assert [c["clientOrganizationNumber"] for c in available["data"]] == [
        accounting_firm.orgno,
        aurora.orgno,
        bryggen.orgno,
    ]

    added = client.post(f"{API}enduser/systemuser/clients/?agent={agent.pk}&client={aurora.pk}", **auth)
    assert added.status_code == 200 and added.json() == {"agent": str(agent.pk), "client": str(aurora.pk)}
    delegated = client.get(API + "enduser/systemuser/clients", {"agent": agent.pk}, **auth).json()
    assert [c["clientId"] for c in delegated["data"]] == [str(aurora.pk)]

    removed = client.delete(f"{API}enduser/systemuser/clients?agent={agent.pk}&client={aurora.pk}", **auth)
    assert removed.status_code == 200 and not ClientDelegation.objects.exists()

    exchange_event = AuditEvent.objects.get(action="person.token_exchanged")
    assert exchange_event.data["idporten_client_id"] == "vendor-program"
    changes = AuditEvent.objects.filter(action__startswith="systemuser.client").order_by("at", "id")
    assert [e.action for e in changes] == ["systemuser.client_added", "systemuser.client_removed"]
    assert {e.data["via"]["token"] for e in changes} == {exchange_event.data["jti"]}


def test_a_login_with_only_the_read_scope_cannot_change_clients(client, oidc_settings, firm):
    agent, (aurora, _) = firm
    access_token = idporten_access_token(oidc_settings.OIDC_ISSUER, KARI, scope="altinn:clientdelegations.read")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {exchanged(client, access_token)}"}
    assert client.get(API + "enduser/systemuser/clients", {"agent": agent.pk}, **auth).status_code == 200
    response = client.post(f"{API}enduser/systemuser/clients?agent={agent.pk}&client={aurora.pk}", **auth)
    assert response.status_code == 403 and not ClientDelegation.objects.exists()


def test_a_login_without_client_delegation_scopes_is_not_exchanged(client, oidc_settings, firm):
    access_token = idporten_access_token(oidc_settings.OIDC_ISSUER, KARI, scope="")
    response = client.get(API + "exchange/id-porten", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 403 and response.json()["code"] == "HTTP-403"


def test_a_login_below_the_required_level_is_not_exchanged(client, oidc_settings, firm):
    access_token = idporten_access_token(oidc_settings.OIDC_ISSUER, LISE)
    response = client.get(API + "exchange/id-porten", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert response.status_code == 401 and "acr" in response.json()["detail"]


def test_the_id_porten_access_token_itself_is_refused_by_the_enduser_api(client, oidc_settings, firm):
    agent, _ = firm
    access_token = idporten_access_token(oidc_settings.OIDC_ISSUER, KARI)
    response = client.get(
        API + "enduser/systemuser/clients", {"agent": agent.pk}, HTTP_AUTHORIZATION=f"Bearer {access_token}"
    )
    assert response.status_code == 401

"""The portal's long lists — a firm's clients to add, the organisations a person may act for, an agent
system access's clients — cost the same number of queries and show at most a page, with 3 rows or 120."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import access
from registry.models import ClientDelegation
from tests import factories as f
from tests.portal.systemusers_helpers import act_for

pytestmark = pytest.mark.django_db
SIGNING = "regnskapsforer-med-signeringsrettighet"


def _get(client, path: str, params=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.fixture
def agent(accounting_firm, vendor):
    return f.make_agent_system_user(accounting_firm, f.make_system(vendor, "byraa", packages=[SIGNING]), [SIGNING])


def assessed_one_by_one(monkeypatch) -> list[int]:
    """How many organisations each call of registry.access.holdings_for_clients looked at (the one check
    done per client in Python): a page cut in the database keeps it to a page."""
    seen, real = [], access.holdings_for_clients

    def spy(*args, **kwargs):
        held = real(*args, **kwargs)
        seen.append(len(held))
        return held

    monkeypatch.setattr(access, "holdings_for_clients", spy)
    return seen


def _grow_clients(firm, agent, n: int) -> None:
    """`n` clients of the firm that can be added, and `n` already on the agent system access."""
    for i in range(ClientDelegation.objects.count(), n):
        org, added = f.make_org(f"Klient {i:03d} AS"), f.make_org(f"Lagt til {i:03d} AS")
        f.give_role(firm, "REGN", org)
        f.give_role(firm, "REGN", added)
        ClientDelegation.objects.create(system_user=agent, client=added, role_code="REGN", packages=[SIGNING])


def test_adding_clients_with_a_search_costs_the_same_for_3_or_120_clients(client, client_admin, accounting_firm, agent):
    act_for(client, client_admin, accounting_firm)
    path = f"/systemuser/{agent.pk}/clients/"
    _grow_clients(accounting_firm, agent, 3)
    few, small = _get(client, path, {"q": "klient"})
    plain_few, _ = _get(client, path)
    _grow_clients(accounting_firm, agent, 120)
    many, large = _get(client, path, {"q": "klient"})
    plain_many, _ = _get(client, path)
    assert small.count('name="orgno"') == 3 and large.count('name="orgno"') == 50  # a page
    assert few == many and plain_few == plain_many


def test_adding_clients_filtered_by_role_costs_the_same_for_3_or_120_clients(
    client, client_admin, accounting_firm, agent, monkeypatch
):
    act_for(client, client_admin, accounting_firm)
    path = f"/systemuser/{agent.pk}/clients/"
    _grow_clients(accounting_firm, agent, 3)
    few, small = _get(client, path, {"q": "klient", "rolle": "REGN"})
    _grow_clients(accounting_firm, agent, 120)
    seen = assessed_one_by_one(monkeypatch)
    many, large = _get(client, path, {"q": "klient", "rolle": "REGN", "page": "2"})
    assert seen == []  # read off the firm's list of clients: nobody weighed one by one in Python
    assert small.count('name="orgno"') == 3 and large.count('name="orgno"') == 50
    assert "Klient 050 AS" in large and "Klient 049 AS" not in large  # the second page, by name
    assert few == many


def test_why_clients_are_missing_costs_the_same_for_3_or_120_clients(
    client, client_admin, accounting_firm, agent, monkeypatch
):
    """The firm's clients that lack the required package (a revisor gives no accountant's package)."""
    act_for(client, client_admin, accounting_firm)
    path = f"/systemuser/{agent.pk}/clients/missing/"
    _grow_clients(accounting_firm, agent, 3)  # these can be added: not on the list

    def grow(n):
        for i in range(accounting_firm.roles_held.filter(role__legacy_code="REVI").count(), n):
            f.give_role(accounting_firm, "REVI", f.make_org(f"Revidert {i:03d} AS"))
        return _get(client, path)

    few, small = grow(3)
    grow(120)
    seen = assessed_one_by_one(monkeypatch)
    many, large = _get(client, path)
    assert seen == []  # read off the firm's list of clients: nobody weighed one by one in Python
    assert small.count("<strong>Revidert") == 3 and large.count("<strong>Revidert") == 50
    assert "3 klienter mangler noe." in small and "Over 100 klienter mangler noe (side 1)." in large
    assert few == many


def test_an_agent_system_accesss_details_cost_the_same_for_3_or_120_clients(
    client, client_admin, accounting_firm, agent
):
    act_for(client, client_admin, accounting_firm)
    path = f"/systemuser/{agent.pk}/"
    _grow_clients(accounting_firm, agent, 3)
    few, small = _get(client, path)
    searched_few, _ = _get(client, path, {"q": "lagt til 00"})
    _grow_clients(accounting_firm, agent, 120)
    many, large = _get(client, path)
    searched_many, found = _get(client, path, {"q": "lagt til 00"})
    assert small.count('<td class="table-cards__title">') == 3
    assert large.count('<td class="table-cards__title">') == 100  # a page
    assert found.count('<td class="table-cards__title">') == 10  # Lagt til 000 … 009
    assert few == many and searched_few == searched_many


def test_the_delete_confirmation_names_20_clients_and_counts_the_rest_for_3_or_120(client, accounting_firm, agent):
    manager = f.make_person("Dagny Leder")
    f.give_role(manager, "DAGL", accounting_firm)
    act_for(client, manager, accounting_firm)
    path = f"/systemuser/{agent.pk}/delete/"
    _grow_clients(accounting_firm, agent, 3)
    few, small = _get(client, path)
    _grow_clients(accounting_firm, agent, 120)
    many, large = _get(client, path)
    named = lambda text: text.split('data-testid="delete-clients"')[1].split("</ul>")[0].count("Lagt til")  # noqa: E731
    assert named(small) == 3 and "klienter til" not in small
    assert named(large) == 20 and "og 100 klienter til" in large  # Lagt til 000 … 019, and the rest counted
    assert "Lagt til 019 AS" in large and "Lagt til 020 AS" not in large
    assert few == many


def test_the_act_for_page_with_a_search_costs_the_same_for_3_or_120_organisations(login):
    person = f.make_person("Regine Regnskap")

    def grow(n):
        for i in range(person.roles.count(), n):
            f.give_role(person, "DAGL", f.make_org(f"Klient {i:03d} AS"))
        return _get(login(person), "/actor/", {"q": "klient"})

    (few, small), (many, large) = grow(3), grow(120)
    assert small.count('name="orgno"') == 3 and large.count('name="orgno"') == 50
    assert few == many

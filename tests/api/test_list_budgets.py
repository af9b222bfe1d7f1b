"""Every list a vendor or an end-user program pages through costs the same number of queries, and at most
a page of rows, with a few rows or many (query counts pinned at two data sizes)."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Request
from registry import usage
from registry.api import enduser
from registry.models import ClientDelegation, SystemUser
from registry.services import clients
from tests import factories as f
from tests.api.conftest import validation_codes
from tests.api.test_enduser_clients import SIGNING, PersonApi, person_bearer

pytestmark = pytest.mark.django_db
PAGE = 50


def _queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def _grow_system_users(system, n: int) -> None:
    for i in range(n - SystemUser.objects.filter(system=system).count()):
        user = SystemUser.objects.create(integration_title="t", owner=f.make_org(), system=system, external_ref=f"r{i}")
        usage.record_token(system_user_id=user.pk, client_id="client-fakturering")


def test_a_systems_system_users_cost_the_same_for_3_or_120(api, system):
    path = f"systemuser/vendor/bysystem/{system.system_id}"
    _grow_system_users(system, 3)
    few, small = _queries(lambda: api.get(path))
    _grow_system_users(system, 120)
    many, large = _queries(lambda: api.get(path))
    token = large["links"]["next"].split("token=")[1]
    last, _ = _queries(lambda: api.get(path, token=token))
    assert len(small["data"]) == 3 and len(large["data"]) == PAGE
    assert few == many == last


def test_the_look_up_of_one_system_user_costs_the_same_for_3_or_120(api, system):
    _grow_system_users(system, 3)
    one = SystemUser.objects.filter(system=system).first()
    params = {"system-id": system.system_id, "orgno": one.owner.orgno, "external-ref": one.external_ref}
    few, _ = _queries(lambda: api.get("systemuser/vendor/byquery", **params))
    _grow_system_users(system, 120)
    many, body = _queries(lambda: api.get("systemuser/vendor/byquery", **params))
    assert body["id"] == str(one.pk) and body["lastUsed"]
    assert few == many


def test_a_systems_requests_cost_the_same_for_3_or_120(api, system):
    path = f"systemuser/request/vendor/bysystem/{system.system_id}"

    def grow(n):
        for i in range(n - Request.objects.count()):
            Request.objects.create(system=system, party=f.make_org(), external_ref=f"x{i}", rights=[])
        return _queries(lambda: api.get(path))

    (few, small), (many, large) = grow(3), grow(120)
    assert len(small["data"]) == 3 and len(large["data"]) == PAGE
    assert few == many


def test_a_systems_change_requests_cost_the_same_for_3_or_120(api, system):
    import uuid

    from approvals.models import ChangeRequest

    path = f"systemuser/changerequest/vendor/bysystem/{system.system_id}"

    def grow(n):
        for i in range(n - ChangeRequest.objects.count()):
            user = SystemUser.objects.create(
                integration_title="t", owner=f.make_org(), system=system, external_ref=f"c{i}"
            )
            ChangeRequest.objects.create(id=uuid.uuid4(), system_user=user, required_access_packages=[])
        return _queries(lambda: api.get(path))

    (few, small), (many, large) = grow(3), grow(120)
    assert len(small["data"]) == 3 and len(large["data"]) == PAGE
    token = large["links"]["next"].split("token=")[1]
    last, _ = _queries(lambda: api.get(path, token=token))
    assert few == many == last


def test_the_end_user_client_lists_cost_the_same_for_3_or_120_clients(client, client_admin, accounting_firm, vendor):
    agent = f.make_agent_system_user(accounting_firm, f.make_system(vendor, "byraa", packages=[SIGNING]), [SIGNING])
    api = PersonApi(client, person_bearer(client_admin))

    def grow(n):
        for _ in range(n - ClientDelegation.objects.count()):
            org = f.make_org()
            f.give_role(accounting_firm, "REGN", org)
            clients.add_clients(system_user_id=agent.pk, orgnos=[org.orgno], by=client_admin)
            f.give_role(accounting_firm, "REGN", f.make_org())  # one more that could be added
        delegated = _queries(lambda: api.get("clients", agent=agent.pk))
        available = _queries(lambda: api.get("clients/available", agent=agent.pk))
        agents = _queries(lambda: api.get("agents", party=accounting_firm.orgno))
        return delegated, available, agents

    small, large = grow(3), grow(120)
    # Available: the clients that could be added, and the firm itself (it may be its own client, issue 15).
    assert [len(body["data"]) for _, body in small[:2]] == [3, 3 + 1]
    assert [len(body["data"]) for _, body in large[:2]] == [120, 120 + 1]
    assert [queries for queries, _ in small] == [queries for queries, _ in large]


def test_a_firms_delegated_clients_come_in_pages(client, client_admin, accounting_firm, vendor, monkeypatch):
    monkeypatch.setattr(enduser, "CLIENTS_PER_PAGE", 10)
    agent = f.make_agent_system_user(accounting_firm, f.make_system(vendor, "byraa", packages=[SIGNING]), [SIGNING])
    orgs = [f.make_org(f"Klient {i:02d} AS") for i in range(25)]
    for org in orgs:
        f.give_role(accounting_firm, "REGN", org)
    clients.add_clients(system_user_id=agent.pk, orgnos=[o.orgno for o in orgs], by=client_admin)
    api = PersonApi(client, person_bearer(client_admin))
    names, params = [], {"agent": agent.pk}
    for _ in range(3):
        queries, body = _queries(lambda params=params: api.get("clients", **params))
        names += [row["clientOrganizationName"] for row in body["data"]]
        if not body["links"]:
            break
        assert body["links"]["next"].startswith(
            f"http://testserver/authentication/api/v1/enduser/systemuser/clients?agent={agent.pk}&token="
        )
        params = dict(parse_qsl(urlsplit(body["links"]["next"]).query))
    assert names == [o.name for o in orgs]  # by name, each once, in three pages of 10, 10 and 5
    assert body["links"] == {} and len(body["data"]) == 5


def test_the_clients_that_can_be_added_come_in_pages_the_firm_first(
    client, client_admin, accounting_firm, vendor, monkeypatch
):
    monkeypatch.setattr(enduser, "CLIENTS_PER_PAGE", 10)
    agent = f.make_agent_system_user(accounting_firm, f.make_system(vendor, "byraa", packages=[SIGNING]), [SIGNING])
    orgs = [f.make_org(f"Kunde {i:02d} AS") for i in range(25)]
    for org in orgs:
        f.give_role(accounting_firm, "REGN", org)
    f.give_role(accounting_firm, "REVI", f.make_org("Revidert AS"))  # a client, but without the package
    clients.add_clients(system_user_id=agent.pk, orgnos=[orgs[3].orgno], by=client_admin)  # added: not offered
    api = PersonApi(client, person_bearer(client_admin))
    names, counts, params = [], [], {"agent": agent.pk}
    for _ in range(4):
        queries, body = _queries(lambda params=params: api.get("clients/available", **params))
        names += [row["clientOrganizationName"] for row in body["data"]]
        counts.append(queries)
        if not body["links"]:
            break
        assert body["links"]["next"].startswith(
            f"http://testserver/authentication/api/v1/enduser/systemuser/clients/available?agent={agent.pk}&token="
        )
        params = dict(parse_qsl(urlsplit(body["links"]["next"]).query))
    # The firm itself first (it may be its own client), then by name, each once: pages of 10, 10 and 5.
    assert names == [accounting_firm.name] + [o.name for o in orgs if o != orgs[3]]
    assert body["links"] == {} and len(body["data"]) == 5
    assert len(set(counts)) == 1  # every page costs the same


def test_a_continuation_token_of_another_list_is_refused(client, client_admin, accounting_firm, vendor, monkeypatch):
    monkeypatch.setattr(enduser, "CLIENTS_PER_PAGE", 1)
    agent = f.make_agent_system_user(accounting_firm, f.make_system(vendor, "byraa", packages=[SIGNING]), [SIGNING])
    for i in range(2):
        org = f.make_org(f"Kunde {i} AS")
        f.give_role(accounting_firm, "REGN", org)
        clients.add_clients(system_user_id=agent.pk, orgnos=[org.orgno], by=client_admin)
    api = PersonApi(client, person_bearer(client_admin))
    delegated = api.get("clients", agent=agent.pk).json()  # a two-field key (name, org number)
    token = dict(parse_qsl(urlsplit(delegated["links"]["next"]).query))["token"]
    assert validation_codes(api.get("clients/available", agent=agent.pk, token=token)) == ["STD.VLD-00001"]


def test_a_firms_agents_cost_the_same_queries_for_1_or_30(client, client_admin, accounting_firm, vendor):
    """Altinn's agents list is a plain list (no paging): a firm has an agent system access per system."""
    api = PersonApi(client, person_bearer(client_admin))

    def grow(n):
        for i in range(SystemUser.objects.filter(owner=accounting_firm).count(), n):
            system = f.make_system(vendor, f"byraa{i}", packages=[SIGNING])
            f.make_agent_system_user(accounting_firm, system, [SIGNING])
        return _queries(lambda: api.get("agents", party=accounting_firm.orgno))

    (few, small), (many, large) = grow(1), grow(30)
    assert len(small) == 1 and len(large) == 30
    assert few == many

"""Adding and removing a client exactly once under concurrency: real threads, each with its own
database connection (as tests/approvals/test_concurrency.py). PostgreSQL only (tests/races.py); CI runs them."""

import pytest

from registry.models import AuditEvent, ClientDelegation
from registry.services import clients
from tests import factories as f
from tests.factories import SIGNING
from tests.races import race

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(accounting_firm, client_admin, vendor):
    system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    agent = f.make_agent_system_user(accounting_firm, system, [SIGNING])
    klient = f.make_org("Fjordkaffe AS")
    f.give_role(accounting_firm, "REGN", klient)
    return agent, klient, client_admin


def test_simultaneous_adds_make_one_delegation_and_one_event(setup):
    agent, klient, admin = setup
    add = lambda: clients.add_clients(system_user_id=agent.pk, orgnos=[klient.orgno], by=admin)  # noqa: E731
    outcomes = race([add] * 6)
    assert sorted(len(made) for made in outcomes) == [0] * 5 + [1]
    assert ClientDelegation.objects.filter(system_user=agent, client=klient).count() == 1
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 1


def test_simultaneous_removes_record_one_event(setup):
    agent, klient, admin = setup
    clients.add_clients(system_user_id=agent.pk, orgnos=[klient.orgno], by=admin)
    remove = lambda: clients.remove_client(system_user_id=agent.pk, orgno=klient.orgno, by=admin)  # noqa: E731
    outcomes = race([remove] * 6)
    assert sorted(outcomes) == [False] * 5 + [True]
    assert not ClientDelegation.objects.exists()
    assert AuditEvent.objects.filter(action="systemuser.client_removed").count() == 1


def test_add_all_twice_at_once_adds_each_client_once(setup, accounting_firm):
    agent, klient, admin = setup
    more = [f.make_org(f"Klient {i} AS") for i in range(20)]
    for org in more:
        f.give_role(accounting_firm, "REGN", org)
    add_all = lambda: clients.add_each(system_user_id=agent.pk, orgnos=None, by=admin)  # noqa: E731
    outcomes = race([add_all] * 2, result=lambda outcomes: sorted(o.result for o in outcomes))
    # One call added all 22 (the 21 clients and the firm itself); the other found them all there.
    assert sorted(outcomes) == [["added"] * 22, ["already"] * 22]
    assert ClientDelegation.objects.filter(system_user=agent).count() == 22
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 22

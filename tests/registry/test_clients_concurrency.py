"""Adding and removing a client exactly once under concurrency: real threads, each with its own
database connection (as tests/approvals/test_concurrency.py). Runs on PostgreSQL in CI, SQLite locally."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from registry.models import AuditEvent, ClientDelegation
from registry.services import clients
from tests import factories as f

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SIGNING = "regnskapsforer-med-signeringsrettighet"


def race(calls: list) -> list:
    """Run the calls at the same moment, one thread each; returns what each call returned."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        barrier.wait(timeout=10)
        try:
            outcomes.append(attempt(call))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def attempt(call):
    for _ in range(500):
        try:
            return call()
        except OperationalError as err:
            # SQLite's shared-cache test database answers "table is locked" where PostgreSQL waits on the
            # row lock: retrying the whole transaction stands in for the wait.
            if connection.vendor != "sqlite" or "locked" not in str(err):
                raise
            time.sleep(0.005)
    raise AssertionError("the database stayed locked")


@pytest.fixture
def setup(accounting_firm, client_admin, vendor):
    system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    agent = f.make_agent_system_user(accounting_firm, system, [SIGNING])
    kunde = f.make_org("Fjordkaffe AS")
    f.give_role(accounting_firm, "REGN", kunde)
    return agent, kunde, client_admin


def test_simultaneous_adds_make_one_delegation_and_one_event(setup):
    agent, kunde, admin = setup
    add = lambda: clients.add_clients(system_user_id=agent.pk, orgnos=[kunde.orgno], by=admin)  # noqa: E731
    outcomes = race([add] * 6)
    assert sorted(len(made) for made in outcomes) == [0] * 5 + [1]
    assert ClientDelegation.objects.filter(system_user=agent, client=kunde).count() == 1
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 1


def test_simultaneous_removes_record_one_event(setup):
    agent, kunde, admin = setup
    clients.add_clients(system_user_id=agent.pk, orgnos=[kunde.orgno], by=admin)
    remove = lambda: clients.remove_client(system_user_id=agent.pk, orgno=kunde.orgno, by=admin)  # noqa: E731
    outcomes = race([remove] * 6)
    assert sorted(outcomes) == [False] * 5 + [True]
    assert not ClientDelegation.objects.exists()
    assert AuditEvent.objects.filter(action="systemuser.client_removed").count() == 1

"""A firm's list of clients written by several at once (registry.listings): every change rewrites the
firm's own row, so two changes of one firm's links at the same moment — two agent system accesses
approved at once, a role from the register while a delegation is made — write the same row. Each must
stand, and the list say what the rule says. PostgreSQL only (tests/races.py); CI runs them."""

import threading
from functools import partial

import pytest
from django.db import connection, transaction

from registry import access, listings
from registry.models import ClientListing, SystemUser
from tests import factories as f
from tests.factories import SIGNING
from tests.races import race

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _atomic(call):
    with transaction.atomic():  # as a service does: the signal's writes commit with the change
        return call()


def test_agent_system_accesses_approved_at_once_all_stand(accounting_firm, vendor):
    systems = [f.make_system(vendor, f"byraa{i}", rights=[], packages=[SIGNING]) for i in range(4)]
    make = [partial(_atomic, partial(f.make_agent_system_user, accounting_firm, s, [SIGNING])) for s in systems]
    race(make, result=lambda system_user: system_user.pk)
    assert SystemUser.objects.filter(owner=accounting_firm).count() == 4
    assert ClientListing.objects.filter(holder=accounting_firm, client=accounting_firm).count() == 1


def test_roles_and_delegations_given_to_one_firm_at_once_are_all_listed(accounting_firm, vendor):
    system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    f.make_agent_system_user(accounting_firm, system, [SIGNING])  # the firm has its own row from here on
    clients = [f.make_org(f"Klient {i} AS") for i in range(6)]
    give = [partial(_atomic, partial(f.give_role, accounting_firm, "REGN", c)) for c in clients[:3]]
    give += [partial(_atomic, partial(f.delegate_package, "lonn", from_org=c, to=accounting_firm)) for c in clients[3:]]
    race(give, result=lambda link: link.pk)
    listed = set(ClientListing.objects.filter(holder=accounting_firm).values_list("name", flat=True))
    assert listed == {h.name for h in access.holdings_for_clients(accounting_firm).values()}
    assert listed >= {c.name for c in clients}


def test_a_role_and_a_delegation_of_one_client_at_once_are_both_on_its_row(accounting_firm):
    """The later writer reads what the first committed: the row says both, not the last one alone."""
    clients = [f.make_org(f"Klient {i} AS") for i in range(4)]
    give = [partial(_atomic, partial(f.give_role, accounting_firm, "REGN", c)) for c in clients]
    give += [partial(_atomic, partial(f.delegate_package, "lonn", from_org=c, to=accounting_firm)) for c in clients]
    race(give, result=lambda link: link.pk)
    rows = dict(ClientListing.objects.filter(holder=accounting_firm).values_list("name", "held"))
    for client in clients:
        assert ",lonn," in rows[client.name] and f",{SIGNING}:REGN," in rows[client.name], rows[client.name]


def test_writing_a_firms_list_does_not_hold_up_what_only_refers_to_the_firm(accounting_firm, vendor):
    """While the register importer (one long transaction) holds a firm's list, a vendor's system access
    for the firm is still made at once: the list's lock is FOR NO KEY UPDATE, which the foreign key's
    check on the firm's row does not wait for (FOR UPDATE would hold it until the import commits)."""
    system = f.make_system(vendor, "lonn", rights=[], packages=[SIGNING])
    locked, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def import_holding_the_list():
        try:
            with transaction.atomic():
                listings.refresh(accounting_firm, [accounting_firm.pk])
                locked.set()
                done.wait(timeout=10)
        finally:
            locked.set()
            connection.close()

    def system_access_for_the_firm():
        try:
            locked.wait(timeout=10)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
                SystemUser.objects.create(integration_title="Lønn", owner=accounting_firm, system=system)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=import_holding_the_list), threading.Thread(target=system_access_for_the_firm)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert SystemUser.objects.filter(owner=accounting_firm, system=system).exists()

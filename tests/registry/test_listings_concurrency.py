"""A firm's list of clients written by several at once (registry.listings): every change rewrites the
firm's own row, so two changes of one firm's links at the same moment — two agent system accesses
approved at once, a role from the register while a delegation is made — write the same row. Each must
stand, and the list say what the rule says. PostgreSQL only (tests/races.py); CI runs them."""

from functools import partial

import pytest
from django.db import transaction

from registry import access
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

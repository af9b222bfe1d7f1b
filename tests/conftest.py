"""Personas used across tests: a customer company with its general manager (DAGL), an employee with
no rights, an outsider; an accounting firm with a client administrator, its agent system user (one for
clients) and three clients; two vendors."""

import pytest

from tests import factories as f
from tests.factories import SIGNING

pytest_plugins = ["tests.oidc_provider.fixtures"]  # the OpenID providers for the login tests


@pytest.fixture
def customer(db):
    return f.make_org("Bakeriet Nordmann AS", email="post@bakeriet.example")


@pytest.fixture
def manager(customer):
    person = f.make_person("Kari Nordmann")
    f.give_role(person, "DAGL", customer)
    return person


@pytest.fixture
def employee(customer):
    person = f.make_person("Ola Ansatt")
    f.delegate_package("lonn", from_org=customer, to=person)
    return person


@pytest.fixture
def outsider(db):
    return f.make_person("Per Utenfor")


@pytest.fixture
def accounting_firm(db):
    return f.make_org("Tall og Tekst Regnskap AS")


@pytest.fixture
def client_admin(accounting_firm):
    person = f.make_person("Rita Regnskap")
    f.delegate_package("klientadministrator", from_org=accounting_firm, to=person)
    return person


@pytest.fixture
def agent(accounting_firm, vendor):
    """The accounting firm's agent system user, for a system that asks for the signing package."""
    system = f.make_system(vendor, "byraa", rights=[], packages=[SIGNING])
    return f.make_agent_system_user(accounting_firm, system, [SIGNING])


@pytest.fixture
def firm_clients(accounting_firm):
    """Three REGN clients of the accounting firm, by name."""
    orgs = [f.make_org(name) for name in ("Aurora Data AS", "Bryggen Blomster AS", "Fjordkaffe AS")]
    for org in orgs:
        f.give_role(accounting_firm, "REGN", org)
    return orgs


@pytest.fixture
def vendor(db):
    return f.make_org("Fakturaprogrammet AS")


@pytest.fixture
def other_vendor(db):
    return f.make_org("Konkurrenten AS")


@pytest.fixture
def system(vendor):
    return f.make_system(vendor, "fakturering", client_ids=["client-fakturering"])

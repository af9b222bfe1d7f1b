"""Personas used across tests: a customer company with its general manager (DAGL), an employee with
no rights, an outsider; an accounting firm with a client administrator, its agent system user (one for
clients) and three clients; two vendors."""

import os

import pytest
from django.db import connection

from tests import factories as f
from tests.factories import SIGNING

pytest_plugins = ["tests.oidc_provider.fixtures"]  # the OpenID providers for the login tests


@pytest.fixture(autouse=True)
def _refusals_not_limited_across_tests(settings):
    """Every test posts to /token from 127.0.0.1, and the refusals per address are counted per minute in
    the cache (maskinporten/limits.py): a whole suite's refusals would meet the limit. Tests of the limit
    set it lower themselves."""
    settings.TOKEN_REFUSALS_PER_ADDRESS = 10**9


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


# --- the token endpoint's tests ----------------------------------------------------------------------


@pytest.fixture
def setup(vendor, customer, system):
    """The vendor's token client on its system and the customer's system user for it: `setup.grant(…)`
    signs a grant (tests/maskinporten/helpers.grant_setup)."""
    from tests.maskinporten.helpers import grant_setup

    return grant_setup(vendor, customer, system)


@pytest.fixture
def frozen_now(monkeypatch):
    """The token endpoint's clock, fixed to a whole second, so that boundary tests do not depend on timing."""
    import time

    from maskinporten import grants

    now = int(time.time())
    monkeypatch.setattr(grants, "_now", lambda: float(now))
    return now


# --- tests that need PostgreSQL (@pytest.mark.postgresql) ---------------------------------------------
# Threads racing for one row prove "exactly once" only where they truly overlap and wait on row locks.
# SQLite serialises every write, so there the race would pass even with the compare-and-set removed:
# on SQLite these tests are not run (and say so), with REQUIRE_SERVICES=1 (CI) they must run.

NEEDS_POSTGRESQL = (
    "need PostgreSQL: on SQLite the racing threads run one after another, so the test would prove nothing. "
    "Run them with DATABASE_URL=postgres://… (CI does)"
)
_NOT_RUN = pytest.StashKey[list]()


def _postgresql_is_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_report_header(config):
    if connection.vendor != "postgresql":
        return f"database: {connection.vendor}; tests marked postgresql {NEEDS_POSTGRESQL}"
    return None


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql" or _postgresql_is_required():
        return
    not_run = [item for item in items if item.get_closest_marker("postgresql")]
    if not_run:
        config.hook.pytest_deselected(items=not_run)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
        config.stash[_NOT_RUN] = not_run


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgresql") and connection.vendor != "postgresql":
        pytest.fail(f"REQUIRE_SERVICES=1, but the database is {connection.vendor}: these tests {NEEDS_POSTGRESQL}")


def pytest_terminal_summary(terminalreporter, config):
    not_run = config.stash.get(_NOT_RUN, [])
    if not_run:
        terminalreporter.section("not run: tests that need PostgreSQL", yellow=True)
        terminalreporter.line(f"{len(not_run)} tests {NEEDS_POSTGRESQL}:")
        for item in not_run:
            terminalreporter.line(f"  {item.nodeid}")

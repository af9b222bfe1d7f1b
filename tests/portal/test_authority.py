"""A page reads the person's authority for an organisation once per request (portal.actor.authority),
however many checks it makes: resolving the actor, the page's own check, what its template offers, and
the delegation check. Pinned by counting the queries on the authority tables: one "may act for" and two
for the packages held (roles, delegations)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.approvals.conftest import make_request
from tests.portal.systemusers_helpers import act_for, make_system_user

AUTHORITY_TABLES = ('"registry_roleassignment"', '"registry_packagedelegation"')
ONCE = 3  # may_act_for (a role exists) + the packages through roles + the packages delegated


def authority_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return sum(any(table in q["sql"] for table in AUTHORITY_TABLES) for q in queries.captured_queries)


@pytest.fixture
def as_manager(client, manager, customer):
    return act_for(client, manager, customer)


def test_the_overview_reads_authority_once(as_manager):
    assert authority_queries(as_manager, "/systemuser/") == ONCE


def test_the_details_page_reads_authority_once(as_manager, manager, customer, system):
    su = make_system_user(manager, customer, system)
    assert authority_queries(as_manager, f"/systemuser/{su.pk}/") == ONCE


def test_the_create_confirmation_reads_authority_once_with_its_delegation_check(as_manager, system):
    assert authority_queries(as_manager, f"/systemuser/new/{system.pk}/") == ONCE


def test_the_request_page_reads_authority_once_while_it_switches_and_checks_delegation(as_manager, system, customer):
    vendor_request = make_request(system, customer)
    assert authority_queries(as_manager, f"/systemuser/request?id={vendor_request.id}") == ONCE

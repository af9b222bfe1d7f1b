"""A firm with hundreds of clients: select all on a page, add all that can be added (a result naming
each client added and each refused, with why), and the clients that cannot be added with what they
lack and what would fix it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import listings
from registry.models import AuditEvent, ClientDelegation, Role, RoleAssignment
from tests import factories as f
from tests.portal.systemusers_helpers import HTMX, act_for


@pytest.fixture
def admin_client(client, client_admin, accounting_firm):
    return act_for(client, client_admin, accounting_firm)


def url(agent, rest=""):
    return f"/systemuser/{agent.pk}/clients/{rest}"


def grow(firm, role: str, count: int, prefix: str) -> list:
    role = Role.objects.get(legacy_code=role)
    orgs = [f.make_org(f"{prefix} {i:04d} AS") for i in range(count)]
    RoleAssignment.objects.bulk_create([RoleAssignment(role=role, of=o, holder_org=firm) for o in orgs])
    listings.refresh(firm, [o.pk for o in orgs])  # as the register importer does after bulk inserts
    return orgs


def test_add_all_adds_300_clients_and_names_the_20_refused_with_why(admin_client, agent, accounting_firm):
    grow(accounting_firm, "REGN", 300, "Klient")
    grow(accounting_firm, "REVI", 20, "Revisjon")
    page = admin_client.get(url(agent)).content.decode()
    # Over 100: counted no further, so the button is named without the number ("over 100" above it).
    assert "Legg til alle klientene som kan legges til" in page and "Over 100 klienter kan legges til" in page

    response = admin_client.post(url(agent), {"all": "1"})
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="add-result"' in text
    assert "301 klienter er lagt til." in text and "20 kunne ikke legges til." in text
    assert "Revisjon 0007 AS" in text and "Klienten har ikke gitt dere Regnskapsfører med signeringsrettighet." in text
    assert "Klient 0299 AS" in text  # each client added is named
    assert ClientDelegation.objects.filter(system_user=agent).count() == 301

    again = admin_client.post(url(agent), {"all": "1"}).content.decode()
    assert "0 klienter er lagt til." in again and "301 var allerede lagt til." in again
    assert AuditEvent.objects.filter(action="systemuser.client_added").count() == 301


def test_add_all_costs_the_same_queries_for_3_or_300_clients(client, agent, vendor):
    def queries(count: int) -> int:
        firm = f.make_org(f"Byrå {count} AS")
        admin = f.make_person(f"Admin {count}")
        f.delegate_package("klientadministrator", from_org=firm, to=admin)
        firm_agent = f.make_agent_system_user(firm, agent.system, ["regnskapsforer-med-signeringsrettighet"])
        grow(firm, "REGN", count, f"Klient {count}")
        grow(firm, "REVI", 20, f"Revisjon {count}")
        act_for(client, admin, firm)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url(firm_agent), {"all": "1"})
        assert response.status_code == 200
        assert ClientDelegation.objects.filter(system_user=firm_agent).count() == count + 1
        return len(captured)

    assert queries(3) == queries(300)


def test_select_all_on_this_page_ticks_the_page(admin_client, agent, accounting_firm):
    grow(accounting_firm, "REGN", 120, "Klient")
    page = admin_client.get(url(agent)).content.decode()
    assert 'data-testid="select-page"' in page and "Velg alle på denne siden" in page
    link = page.split('data-testid="select-page"')[0].rsplit('href="', 1)[1].split('"')[0]
    ticked = admin_client.get(url(agent) + link.replace("&amp;", "&"), **HTMX).content.decode()
    assert "50 klienter er valgt." in ticked
    assert ticked.count('" checked>') == 50


def test_the_missing_page_says_what_each_client_lacks_and_what_would_fix_it(admin_client, agent, accounting_firm):
    grow(accounting_firm, "REGN", 3, "Klient")
    (audited,) = grow(accounting_firm, "REVI", 1, "Revisjon")
    given = f.make_org("Delvis Gitt AS")
    f.delegate_package("regnskapsforer-lonn", from_org=given, to=accounting_firm)
    response = admin_client.get(url(agent, "missing/"))
    text = response.content.decode()
    assert response.status_code == 200 and "2 klienter mangler noe." in text
    assert "Revisjon 0000 AS" in text and "Delvis Gitt AS" in text and "Klient 0000 AS" not in text
    assert "Klienten har ikke gitt dere Regnskapsfører med signeringsrettighet." in text
    assert (
        "Klienten kan gi dere «Regnskapsfører med signeringsrettighet» i Altinn, eller registrere dere som "
        "regnskapsfører (REGN) i Enhetsregisteret." in text
    )
    assert 'data-testid="why-missing"' in admin_client.get(url(agent)).content.decode()


def test_the_missing_page_needs_client_administrator_and_hides_other_firms_accesses(
    client, agent, accounting_firm, customer, manager
):
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package("regnskapsforer-med-signeringsrettighet", from_org=accounting_firm, to=clerk)
    assert act_for(client, clerk, accounting_firm).get(url(agent, "missing/")).status_code == 403
    assert act_for(client, manager, customer).get(url(agent, "missing/")).status_code == 404
    assert client.post(url(agent, "missing/")).status_code == 405


def test_add_all_needs_client_administrator(client, agent, accounting_firm):
    grow(accounting_firm, "REGN", 3, "Klient")
    clerk = f.make_person("Kontor Medarbeider")
    f.delegate_package("regnskapsforer-med-signeringsrettighet", from_org=accounting_firm, to=clerk)
    response = act_for(client, clerk, accounting_firm).post(url(agent), {"all": "1"})
    assert response.status_code == 403 and not ClientDelegation.objects.exists()

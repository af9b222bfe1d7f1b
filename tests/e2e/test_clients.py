"""Client delegation in a real browser, on the demo data: the client administrator adds two clients to
the accounting firm's agent system access and removes one; axe finds nothing in any state."""

import pytest
from django.core.management import call_command

from demo import data as demo
from registry.models import ClientDelegation
from tests.e2e.conftest import act_for, axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_client_administrator_adds_and_removes_clients(page, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    agent = demo.REGNSKAP_AGENT_USER
    before = set(ClientDelegation.objects.filter(system_user_id=agent).values_list("client__orgno", flat=True))

    act_for(page, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")  # his only one: no choice
    page.click(f"a[href='/systemuser/{agent}/']")
    page.wait_for_url(f"{live_server.url}/systemuser/{agent}/")
    assert "Fjordkaffe AS" in page.inner_text("[data-testid=clients]")
    assert axe_violations(page) == []

    page.click("text=Legg til klienter")
    page.wait_for_url(f"{live_server.url}/systemuser/{agent}/clients/")
    assert "Fjordkaffe AS" not in page.inner_text("#client-results")  # already a client
    assert axe_violations(page) == []

    page.fill("#q", "Aurora")
    page.wait_for_selector("#client-count >> text=1 klient kan legges til")
    assert axe_violations(page) == []  # the htmx-filtered state
    page.check("label:has-text('Aurora Data AS')")
    # A new search replaces the list, but the tick stays: Aurora moves to "Valgte klienter".
    page.fill("#q", "Torvet")
    page.wait_for_selector("#client-count >> text=1 klient er valgt.")
    assert page.is_checked("[data-testid=chosen] input[value='311000349']")
    assert "Aurora Data AS" not in page.inner_text("[data-testid=eligible]")
    assert axe_violations(page) == []  # the ticked state
    page.check("label:has-text('Torvet Optikk AS')")
    page.click("button:has-text('Legg til valgte klienter')")
    page.wait_for_url(f"{live_server.url}/systemuser/{agent}/")
    assert "2 klienter er lagt til: Aurora Data AS, Torvet Optikk AS." in page.inner_text("[role=status]")
    assert "Aurora Data AS" in page.inner_text("[data-testid=clients]")
    assert axe_violations(page) == []

    page.click("button:has-text('Fjern Aurora Data AS')")
    page.wait_for_selector("[data-testid=confirm-remove-client]")
    page.wait_for_function("() => document.activeElement.id === 'confirm-remove-client-heading'")
    assert axe_violations(page) == []  # the inline confirmation

    page.click("button:has-text('Ja, fjern Aurora Data AS')")
    page.wait_for_selector("#su-status >> text=Aurora Data AS er fjernet som klient.")
    assert page.url == f"{live_server.url}/systemuser/{agent}/"  # no page load
    assert "Aurora Data AS" not in page.inner_text("[data-testid=clients]")
    # Focus is not lost with the removed button: it lands on the updated list (after htmx settles).
    page.wait_for_function("() => document.activeElement.id === 'clients'")
    assert axe_violations(page) == []  # after the htmx swap

    after = set(ClientDelegation.objects.filter(system_user_id=agent).values_list("client__orgno", flat=True))
    assert after - before == {"311000330"}  # Torvet Optikk AS


def test_the_client_administrator_finds_a_client_and_removes_it(page, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    agent = demo.REGNSKAP_AGENT_USER
    act_for(page, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")  # his only one: no choice
    page.goto(f"{live_server.url}/systemuser/{agent}/")
    assert page.locator("[data-testid=clients] tbody tr").count() == 3

    page.fill("#clients-q", "havbris")
    page.wait_for_selector("#clients-count >> text=1 klient passer søket «havbris».")
    assert page.locator("[data-testid=clients] tbody tr").count() == 1
    # A link to the search (with the role filter, empty: all clients), and back works.
    assert page.url.endswith(f"/systemuser/{agent}/?q=havbris&rolle=")
    assert page.evaluate("() => document.activeElement.id") == "clients-q"  # typing goes on
    assert axe_violations(page) == []  # the searched state

    page.click("button:has-text('Fjern Havbris Fiskeutstyr AS')")
    page.click("button:has-text('Ja, fjern Havbris Fiskeutstyr AS')")
    page.wait_for_selector("#su-status >> text=Havbris Fiskeutstyr AS er fjernet som klient.")
    page.wait_for_selector("#clients-count >> text=Ingen klienter passer søket «havbris».")
    assert page.input_value("#clients-q") == "havbris"  # still searching
    assert axe_violations(page) == []

    page.click("text=Vis alle klientene")
    page.wait_for_selector("[data-testid=clients]")
    assert page.locator("[data-testid=clients] tbody tr").count() == 2

"""A firm with many clients in a real browser, on the demo data plus 60 more clients: the client
administrator's words on the overview, the client count, select all on a page, add all and its result,
and why a client is missing — each state reached with the keyboard alone, axe finding nothing."""

import pytest
from django.core.management import call_command

from demo import data as demo
from registry import listings
from registry.models import ClientDelegation, Organisation, Role, RoleAssignment
from tests import factories as f
from tests.e2e.conftest import act_for, axe_violations
from tests.e2e.test_systemusers import tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_client_administrator_adds_all_clients_with_the_keyboard(page, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    firm = Organisation.objects.get(orgno=demo.REGNSKAP)
    regn, revi = Role.objects.get(legacy_code="REGN"), Role.objects.get(legacy_code="REVI")
    more = [f.make_org(f"Massekunde {i:02d} AS") for i in range(60)]
    RoleAssignment.objects.bulk_create([RoleAssignment(role=regn, of=o, holder_org=firm) for o in more])
    listings.refresh(firm, [o.pk for o in more])  # as the register importer does after bulk inserts
    RoleAssignment.objects.create(role=revi, of=f.make_org("Bare Revisjon AS"), holder_org=firm)
    agent = demo.REGNSKAP_AGENT_USER

    act_for(page, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")  # his only one: no choice
    assert "Du er klientadministrator" in page.inner_text("[data-testid=client-admin-note]")
    assert "klient" in page.inner_text("[data-testid=client-count]")
    assert axe_violations(page) == []  # the client administrator's overview

    page.goto(f"{live_server.url}/systemuser/{agent}/clients/")
    tab_to(page, selector="[data-testid=select-page]", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_selector("#client-count >> text=50 klienter er valgt.")
    assert axe_violations(page) == []  # a whole page ticked

    tab_to(page, selector="[data-testid=why-missing]", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/{agent}/clients/missing/")
    assert "Bare Revisjon AS" in page.inner_text("[data-testid=missing]")
    assert axe_violations(page) == []  # why a client is missing

    page.go_back()
    page.wait_for_url(f"{live_server.url}/systemuser/{agent}/clients/**")
    tab_to(page, selector="[data-testid=add-all] button", limit=200)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=add-result]")
    summary = page.inner_text("[data-testid=result-summary]")
    assert "klienter er lagt til." in summary and "1 kunne ikke legges til." in summary
    assert "Klienten har ikke gitt dere" in page.inner_text("[data-testid=refused]")
    assert axe_violations(page) == []  # the result of add all
    assert ClientDelegation.objects.filter(system_user_id=agent, client__in=more).count() == 60

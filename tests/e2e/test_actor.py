"""The act-for page as a person with one, a few or many organisations sees it: straight to the only
one, subunits under their main unit with why the person may act for each, the recently used ones
first; axe finds nothing and the keyboard alone completes each choice."""

import pytest
from playwright.sync_api import expect

from approvals.models import Request
from tests import factories as f
from tests.e2e.conftest import axe_violations, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until `predicate` (JS on document.activeElement, as `el`) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({predicate}); }})()"):
            return
    raise AssertionError(f"never reached: {predicate}")


def test_a_person_with_one_organisation_lands_on_its_overview(page, live_server, manager, customer):
    login(page, live_server, manager.pid)
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert customer.name in page.inner_text("[data-testid=actor]")
    assert f"Du representerer nå {customer.name}." in page.inner_text("main")
    assert axe_violations(page) == []


def test_a_subunit_is_chosen_under_its_main_unit_with_the_keyboard_alone(page, live_server, vendor):
    person = f.make_person("Kari Nordmann")
    main = f.make_org("Bakeriet Nordmann AS")
    torget = f.make_org("Bakeriet Nordmann AS avd. Torget", parent=main)
    f.give_role(person, "DAGL", main)
    other = f.make_org("Annen Bedrift AS")
    f.delegate_package("lonn", from_org=other, to=person)
    Request.objects.create(system=f.make_system(vendor, "kassa"), party=torget, external_ref="kasse-2")

    login(page, live_server, person.pid)
    page.wait_for_url(f"{live_server.url}/actor/")
    sub = page.locator(f"ul[aria-label='Underenheter av {main.name}'] button")
    expect(sub).to_have_count(1)
    assert "Daglig leder i hovedenheten" in sub.inner_text()
    assert "Tilgangspakken «Lønn»" in page.locator("button", has_text=other.name).inner_text()
    assert axe_violations(page) == [], "act-for page with a subunit"

    tab_to(page, "el.textContent.includes('avd. Torget')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert torget.name in page.inner_text("[data-testid=actor]")
    card = page.locator("[data-testid=pending] li", has_text="Kassa")
    assert "Ny" in card.locator("[data-testid=new]").inner_text()
    assert "Leverandørens referanse: kasse-2" in card.inner_text()
    assert axe_violations(page) == [], "overview with a new request"


def test_the_recently_used_organisations_come_first_and_work_with_the_keyboard(page, live_server):
    person = f.make_person("Stine Styreleder")
    orgs = [f.make_org(f"Styreverv {i:02d} AS") for i in range(12)]
    for org in orgs:
        f.give_role(person, "LEDE", org)
    login(page, live_server, person.pid)
    for name in ("Styreverv 07 AS", "Styreverv 03 AS"):
        page.locator("#org-results button", has_text=name).click()
        page.wait_for_url(f"{live_server.url}/systemuser/")
        page.click("[data-testid=switch-actor]")
        page.wait_for_url(f"{live_server.url}/actor/")

    recent = page.locator("[data-testid=recent] button")
    expect(recent).to_have_count(2)
    assert "Styreverv 03 AS" in recent.nth(0).inner_text() and "Styreverv 07 AS" in recent.nth(1).inner_text()
    assert "Styrets leder" in recent.nth(1).inner_text()  # why she may act for it
    assert axe_violations(page) == [], "act-for page with a recent list"
    tab_to(page, "el.closest('[data-testid=recent]') && el.textContent.includes('Styreverv 07 AS')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert "Styreverv 07 AS" in page.inner_text("[data-testid=actor]")


def test_the_create_page_says_the_systems_are_not_assessed(page, live_server, manager, customer, vendor):
    f.make_system(vendor, "regnskap")
    login(page, live_server, manager.pid)
    page.wait_for_url(f"{live_server.url}/systemuser/")
    page.goto(f"{live_server.url}/systemuser/new/")
    assert "har ikke vurdert eller godkjent systemene" in page.inner_text("[data-testid=not-assessed]")
    assert axe_violations(page) == []

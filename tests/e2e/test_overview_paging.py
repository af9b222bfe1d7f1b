"""The paged, searchable overview in a real browser: axe on every state, live search, no-JavaScript fallback."""

import pytest

from registry.models import SystemUserType
from tests.e2e.conftest import axe_violations
from tests.e2e.test_systemusers import act_for
from tests.portal.systemusers_helpers import make_many

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_paged_overview_passes_axe_and_pages_and_searches(page, live_server, manager, customer, vendor):
    make_many(manager, customer, vendor, 30, prefix="lonn")
    make_many(manager, customer, vendor, 27, prefix="klient", user_type=SystemUserType.AGENT)
    act_for(page, live_server, manager, customer)
    assert page.locator("[data-testid=standard] tbody tr").count() == 25
    assert page.get_attribute("nav[aria-label='Sider: Virksomhetens systemtilganger'] [aria-current=true]", "href")
    assert axe_violations(page) == []

    page.click("nav[aria-label='Sider: Virksomhetens systemtilganger'] >> text=Neste")
    page.wait_for_url(f"{live_server.url}/systemuser/?page=2")
    assert page.locator("[data-testid=standard] tbody tr").count() == 5
    assert page.inner_text("[data-testid=standard-range]") == "Viser 26–30 av 30."
    assert axe_violations(page) == []

    page.fill("#su-q", "lonn00")
    page.wait_for_selector("#su-count >> text=10 systemtilganger passer søket «lonn00».")
    assert page.locator("[data-testid=standard] tbody tr").count() == 10
    assert page.locator("[data-testid=agent-empty]").is_visible()
    assert "q=lonn00" in page.url
    assert axe_violations(page) == []  # the htmx-filtered state


def test_the_overview_search_works_without_javascript(browser, live_server, manager, customer, vendor):
    make_many(manager, customer, vendor, 3, prefix="lonn")
    make_many(manager, customer, vendor, 2, prefix="annet")
    context = browser.new_context(locale="nb-NO", java_script_enabled=False)
    page = context.new_page()
    try:
        act_for(page, live_server, manager, customer)
        page.fill("#su-q", "annet")
        page.click("form[role=search] button:has-text('Søk')")
        page.wait_for_url("**/systemuser/?q=annet")
        assert page.inner_text("#su-count") == "2 systemtilganger passer søket «annet»."
        assert page.locator("[data-testid=standard] tbody tr").count() == 2
    finally:
        context.close()

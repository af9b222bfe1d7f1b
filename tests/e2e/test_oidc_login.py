"""Login with ID-porten end to end in a real browser against a real OpenID provider (oidc-provider on
loopback): portal → the provider's login page → back → logged in, choose an organisation → log out
at both ends. No mocked provider here."""

import pytest

from tests import factories as f
from tests.e2e.conftest import axe_violations
from tests.oidc_provider.fixtures import pid_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KARI = pid_of("Kari")


@pytest.fixture
def portal_with_id_porten(settings, browser_oidc_provider, live_server):
    for name, value in browser_oidc_provider.settings_for(base_url=live_server.url).items():
        setattr(settings, name, value)
    return browser_oidc_provider


def test_a_person_logs_in_with_id_porten_chooses_an_organisation_and_logs_out(
    page, live_server, portal_with_id_porten, customer
):
    kari = f.make_person("Kari Nordmann", pid=KARI)
    f.give_role(kari, "DAGL", customer)

    page.goto(f"{live_server.url}/login/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    page.wait_for_url(f"{portal_with_id_porten.issuer}/interaction/**")
    assert "TestID" in page.inner_text("h1")
    assert page.inner_text("[data-testid=acr-values]") == "idporten-loa-substantial"
    page.fill("input[name=pid]", KARI)
    page.click("button >> text=Logg inn")

    page.wait_for_url(f"{live_server.url}/systemuser/")  # her only organisation: no choice to make
    assert kari.name in page.inner_text("[data-testid=who]")
    assert customer.name in page.inner_text("[data-testid=who]")

    page.click("button >> text=Logg ut")
    page.wait_for_url(f"{live_server.url}/")
    assert "Du er logget ut, også fra ID-porten." in page.content()
    # Logged out at the provider too: logging in again asks for the national identity number.
    page.goto(f"{live_server.url}/login/oidc/")
    page.wait_for_url(f"{portal_with_id_porten.issuer}/interaction/**")
    assert page.is_visible("input[name=pid]")


def test_a_new_person_is_created_and_sees_they_may_act_for_no_one_yet(page, live_server, portal_with_id_porten):
    page.goto(f"{live_server.url}/login/oidc/")
    page.fill("input[name=pid]", pid_of("Nina"))
    page.click("button >> text=Logg inn")
    page.wait_for_url(f"{live_server.url}/actor/")
    assert "Du kan ikke representere noen virksomhet ennå" in page.content()
    assert "Nina Ny Person" in page.inner_text("[data-testid=who]")


def test_a_cancelled_login_shows_a_clear_accessible_page(page, live_server, portal_with_id_porten):
    page.goto(f"{live_server.url}/login/oidc/")
    page.click("button >> text=Avbryt")
    page.wait_for_url(f"{live_server.url}/login/oidc/callback/**")
    assert "Innloggingen ble avbrutt" in page.inner_text("h1")
    assert axe_violations(page) == []

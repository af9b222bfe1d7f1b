"""The portal on a phone (375 px wide), on the demo data: no page scrolls sideways (wide tables
scroll in their own region), and axe finds nothing — for the small-business owner and for the
accounting firm's client administrator."""

import pytest
from django.core.management import call_command

from demo import data as demo
from tests.e2e.conftest import act_for, axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="nb-NO", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sideways(page) -> int:
    """How many pixels the page itself scrolls sideways (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_business_owners_pages_fit_a_phone(phone, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    act_for(phone, live_server, demo.KARI, "Bakeriet Nordmann AS")
    for path in [
        "/systemuser/",
        f"/systemuser/{demo.BAKERIET_LONN_USER}/",
        f"/systemuser/{demo.BAKERIET_LONN_USER}/delete/",
        "/systemuser/new/",
        f"/systemuser/request?id={demo.REQUEST_BAKERIET}",
    ]:
        phone.goto(f"{live_server.url}{path}")
        assert sideways(phone) == 0, path
        assert axe_violations(phone) == [], path
    phone.goto(f"{live_server.url}/systemuser/new/")
    phone.click("#system-results a >> nth=0")
    phone.wait_for_selector("dl.facts")
    assert sideways(phone) == 0, "create confirmation"
    assert axe_violations(phone) == [], "create confirmation"


def test_the_client_administrators_pages_fit_a_phone(phone, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    act_for(phone, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")
    agent = demo.REGNSKAP_AGENT_USER
    for path in ["/systemuser/", f"/systemuser/{agent}/", f"/systemuser/{agent}/clients/"]:
        phone.goto(f"{live_server.url}{path}")
        assert sideways(phone) == 0, path
        assert axe_violations(phone) == [], path
    # On a phone each client is a card: its remove button is in view without scrolling sideways.
    phone.goto(f"{live_server.url}/systemuser/{agent}/")
    region = phone.locator(".table-scroll[aria-labelledby=clients-caption]")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing hidden to the right
    for button in phone.locator("[data-testid=clients] button:has-text('Fjern')").all():
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert "Org.nr." in phone.inner_text("[data-testid=clients] tbody tr >> nth=0")  # a card says what is what
    # The search fits too, filters live and stays axe-clean.
    phone.fill("#clients-q", "fjord")
    phone.wait_for_selector("#clients-count >> text=1 klient passer søket «fjord».")
    phone.click("button:has-text('Fjern Fjordkaffe AS')")
    phone.wait_for_selector("[data-testid=confirm-remove-client]")
    assert sideways(phone) == 0
    assert axe_violations(phone) == []


def test_the_clients_stay_a_table_on_a_wide_screen(page, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    act_for(page, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")
    page.goto(f"{live_server.url}/systemuser/{demo.REGNSKAP_AGENT_USER}/")
    table = page.locator("[data-testid=clients]")
    assert table.evaluate("el => getComputedStyle(el).display") == "table"
    assert page.locator("[data-testid=clients] thead").is_visible()
    assert not page.locator(".table-cards__label >> nth=0").is_visible()  # the column headers say it
    assert page.evaluate("() => document.querySelector('[data-testid=clients]').rows[1].cells.length") == 4

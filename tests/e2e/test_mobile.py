"""The portal on a phone (375 px wide), on the demo data: no page and no table scrolls sideways (a
table's rows become cards), every date reads whole, and axe finds nothing — for the small-business
owner and for the accounting firm's access manager and client administrator."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo import data as demo
from maskinporten.self_developed import OwnIntegration, create_own_integration
from registry import usage
from registry.models import Organisation, Person
from tests.e2e.conftest import act_for, axe_violations
from tests.maskinporten.test_self_developed import own_key, pem

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


# What a person on a phone cannot read: the page or a table scrolling sideways (a table's last columns out
# of sight, with no hint), a date cut off at an edge ("6. desembe") or split over two lines.
UNREADABLE = """() => {
  const problems = [], width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) problems.push('the page scrolls sideways');
  for (const region of document.querySelectorAll('.table-scroll'))
    if (region.scrollWidth > region.clientWidth)
      problems.push(region.querySelector('caption').textContent + ' scrolls sideways');
  for (const time of document.querySelectorAll('main time')) {
    const box = time.getBoundingClientRect(), region = time.closest('.table-scroll');
    const edge = region ? region.getBoundingClientRect() : {left: 0, right: width};
    if (box.left < Math.max(edge.left, 0) - 0.5 || box.right > Math.min(edge.right, width) + 0.5)
      problems.push('date cut off: ' + time.textContent);
    if (time.getClientRects().length > 1) problems.push('date split over two lines: ' + time.textContent);
  }
  return problems;
}"""


def unreadable(page) -> list[str]:
    return page.evaluate(UNREADABLE)


def used_just_now() -> None:
    """The demo's system accesses have been used: "Sist brukt" is a date and a time, the widest cell."""
    for system_user in (demo.BAKERIET_LONN_USER, demo.REGNSKAP_AGENT_USER):
        usage.record_token(system_user_id=system_user, client_id="demo", at=timezone.now())


def test_the_business_owners_pages_fit_a_phone(phone, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    used_just_now()
    own = create_own_integration(  # a self-developed system: its keys are a table too
        by=Person.objects.get(pid=demo.KARI),
        org=Organisation.objects.get(orgno=demo.BAKERIET),
        spec=OwnIntegration(name={"nb": "Vår kobling"}, public_key=pem(own_key()), packages=["a-ordning"]),
    )
    act_for(phone, live_server, demo.KARI, "Bakeriet Nordmann AS")
    for path in [
        "/systemuser/",
        f"/systemuser/{demo.BAKERIET_LONN_USER}/",
        f"/systemuser/{demo.BAKERIET_LONN_USER}/delete/",
        f"/systemuser/{own.pk}/integration/",
        "/systemuser/new/",
        f"/systemuser/request?id={demo.REQUEST_BAKERIET}",
    ]:
        phone.goto(f"{live_server.url}{path}")
        assert unreadable(phone) == [], path
        assert axe_violations(phone) == [], path
    # The overview's rows are cards: each says what its dates are.
    phone.goto(f"{live_server.url}/systemuser/")
    card = phone.inner_text("[data-testid=standard] tbody tr:has-text('Lønnsmaskinen AS')")
    assert card.startswith("Lønnsmaskinen\nLønnsmaskinen for Bakeriet\n"), card  # the title first, on its own
    assert "Leverandør Lønnsmaskinen AS" in card and "Opprettet " in card and "Sist brukt " in card
    phone.goto(f"{live_server.url}/systemuser/new/")
    phone.click("#system-results a >> nth=0")
    phone.wait_for_selector("dl.facts")
    assert sideways(phone) == 0, "create confirmation"
    assert axe_violations(phone) == [], "create confirmation"


def test_the_client_administrators_pages_fit_a_phone(phone, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    used_just_now()
    act_for(phone, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")
    agent = demo.REGNSKAP_AGENT_USER
    for path in ["/systemuser/", f"/systemuser/{agent}/", f"/systemuser/{agent}/clients/"]:
        phone.goto(f"{live_server.url}{path}")
        assert unreadable(phone) == [], path
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


def test_the_accounting_firms_rows_read_whole_on_a_phone_and_in_a_narrow_window(phone, live_server):
    """Five columns with two dates do not fit 800 px either: there too each row is a card, not a table
    cut off at the right."""
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    used_just_now()
    act_for(phone, live_server, demo.REGINE, "Tall og Tekst Regnskap AS")
    for path in ["/systemuser/", f"/systemuser/{demo.REGNSKAP_AGENT_USER}/"]:
        phone.goto(f"{live_server.url}{path}")
        for width in (375, 800):
            phone.set_viewport_size({"width": width, "height": 740})
            assert unreadable(phone) == [], (path, width)
            assert axe_violations(phone) == [], (path, width)
        phone.set_viewport_size({"width": 375, "height": 740})


def test_the_clients_stay_a_table_on_a_wide_screen(page, live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    act_for(page, live_server, demo.KRISTIAN, "Tall og Tekst Regnskap AS")
    page.goto(f"{live_server.url}/systemuser/{demo.REGNSKAP_AGENT_USER}/")
    table = page.locator("[data-testid=clients]")
    assert table.evaluate("el => getComputedStyle(el).display") == "table"
    assert page.locator("[data-testid=clients] thead").is_visible()
    assert not page.locator(".table-cards__label >> nth=0").is_visible()  # the column headers say it
    assert page.evaluate("() => document.querySelector('[data-testid=clients]').rows[1].cells.length") == 4

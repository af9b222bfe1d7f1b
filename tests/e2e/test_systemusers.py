"""The business's system-access pages in a real browser: keyboard-only creation, htmx states, axe."""

import pytest

from approvals.models import Request
from registry.models import SystemUser
from tests import factories as f
from tests.e2e.conftest import act_for as e2e_act_for
from tests.e2e.conftest import axe_violations, docs_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def act_for(page, live_server, person, org):
    e2e_act_for(page, live_server, person.pid, org.name)


def tab_to(page, text: str = "", *, selector: str = "", limit: int = 60) -> None:
    """Press Tab until the focused element shows `text` (or matches `selector`), as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if selector and page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        focused = page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '')")
        if text and text in focused:
            return
    raise AssertionError(f"Could not reach {text or selector!r} with the Tab key")


def test_creation_works_with_the_keyboard_alone(page, live_server, manager, customer, system, other_vendor):
    f.make_system(other_vendor, "lonnsystem", rights=[("ske-innrapportering-a-melding", "read")], packages=["lonn"])
    act_for(page, live_server, manager, customer)
    assert "Virksomheten har ingen systemtilganger ennå" in page.content()
    assert axe_violations(page) == []

    tab_to(page, "Opprett systemtilgang")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/new/")
    assert axe_violations(page) == []

    tab_to(page, selector="#q")
    page.keyboard.type("faktur")
    page.wait_for_selector("#system-count >> text=1 system passer")
    assert "Lonnsystem" not in page.inner_text("#system-results")
    assert axe_violations(page) == []  # the htmx-filtered state

    tab_to(page, "Fakturering")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/new/{system.pk}/")
    assert "Kan lese i Krav og betalinger" in page.content()
    assert axe_violations(page) == []

    tab_to(page, "Bekreft og opprett systemtilgang")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status] >> text=er opprettet")
    su = SystemUser.objects.get()
    assert page.url == f"{live_server.url}/systemuser/{su.pk}/"
    assert [p.package_id for p in su.packages.all()] == ["skatt-naering"]
    assert axe_violations(page) == []


def test_revoking_and_deleting_in_place(page, live_server, manager, customer, system, vendor):
    from tests.portal.systemusers_helpers import make_system_user

    su = make_system_user(manager, customer, system)
    act_for(page, live_server, manager, customer)
    page.click(f"a[href='/systemuser/{su.pk}/']")
    page.wait_for_url(f"{live_server.url}/systemuser/{su.pk}/")
    assert axe_violations(page) == []
    docs_screenshot(page, "details-1280")  # for docs/system-access-pages.md
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    docs_screenshot(page, "details-375")
    page.set_viewport_size({"width": 1280, "height": 720})

    # Revoking asks first, in place: what stops working and how it comes back; focus on the question.
    page.click("button:has-text('Fjern tilgangspakken Skatt næring')")
    page.wait_for_selector("[data-testid=confirm-revoke]")
    question = page.inner_text("[data-testid=confirm-revoke]")
    assert "Skattemelding for næringsdrivende" in question and "Bare leverandøren kan be om det på nytt" in question
    page.wait_for_function("() => document.activeElement.textContent.includes('Vil du fjerne tilgangspakken')")
    assert axe_violations(page) == []  # the question in place
    assert su.packages.count() == 1  # asking changed nothing
    page.keyboard.press("Tab")  # from the question to "Ja, fjern …", then the keyboard confirms
    assert page.evaluate("document.activeElement.textContent").strip() == "Ja, fjern tilgangspakken Skatt næring"
    page.keyboard.press("Enter")
    page.wait_for_selector("#su-status >> text=Tilgangspakken Skatt næring er fjernet")
    assert page.url == f"{live_server.url}/systemuser/{su.pk}/"  # no page load
    assert "Fjern tilgangspakken Skatt næring" not in page.content()
    # Nothing stale: the history says so without a reload.
    assert "Tilgangspakke fjernet" in page.inner_text("[data-testid=history]")
    # Focus is not lost with the removed button: it lands on the updated list.
    # htmx moves focus to [autofocus] when the swap settles (20 ms later): wait for it, do not race it.
    page.wait_for_function("() => document.activeElement.id === 'grants'")
    assert axe_violations(page) == []  # after the htmx swap

    page.click("button:has-text('Slett systemtilgang')")
    page.wait_for_selector("[data-testid=confirm-delete]")
    assert "Dette slutter å virke med en gang" in page.inner_text("[data-testid=confirm-delete]")
    page.wait_for_function("() => document.activeElement.id === 'confirm-delete-heading'")
    assert axe_violations(page) == []  # the inline confirmation

    page.click("text=Ja, slett systemtilgangen")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert "er slettet" in page.inner_text("[role=status]")
    assert axe_violations(page) == []
    su.refresh_from_db()
    assert su.is_deleted


def test_overview_with_requests_and_accesses_passes_axe(page, live_server, manager, customer, system, vendor):
    from tests.portal.systemusers_helpers import make_system_user

    make_system_user(manager, customer, f.make_system(vendor, "annet"))
    Request.objects.create(system=system, party=customer, external_ref=customer.orgno, escalated=True)
    act_for(page, live_server, manager, customer)
    assert "Sendt videre til deg" in page.content() and "Annet" in page.content()
    assert axe_violations(page) == []


def test_a_person_without_rights_sees_a_warning_that_passes_axe(page, live_server, employee, customer):
    act_for(page, live_server, employee, customer)
    assert "Tilgangsstyrer" in page.inner_text("[data-testid=need-rights]")
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/systemuser/new/")
    assert "Tilgangsstyrer" in page.inner_text("[data-testid=need-rights]")
    assert axe_violations(page) == []


def test_search_works_without_javascript(browser, live_server, manager, customer, system, other_vendor):
    f.make_system(other_vendor, "lonnsystem", rights=[("ske-innrapportering-a-melding", "read")], packages=["lonn"])
    context = browser.new_context(locale="nb-NO", java_script_enabled=False)
    page = context.new_page()
    try:
        act_for(page, live_server, manager, customer)
        page.goto(f"{live_server.url}/systemuser/new/")
        page.fill("#q", "Konkurrenten")
        page.click("button:has-text('Søk')")
        page.wait_for_url("**/systemuser/new/?q=Konkurrenten")
        assert "Lonnsystem" in page.inner_text("#system-results")
        assert "Fakturering" not in page.inner_text("#system-results")
    finally:
        context.close()


def test_revoking_asks_first_without_javascript_too(browser, live_server, manager, customer, system):
    from tests.portal.systemusers_helpers import make_system_user

    su = make_system_user(manager, customer, system)
    context = browser.new_context(locale="nb-NO", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        act_for(page, live_server, manager, customer)
        page.goto(f"{live_server.url}/systemuser/{su.pk}/")
        page.click("button:has-text('Fjern enkeltrettigheten Krav og betalinger (lese)')")
        page.wait_for_selector("[data-testid=confirm-revoke]")
        assert f"/systemuser/{su.pk}/revoke/right/?" in page.url  # the question on a page of its own
        assert "Vil du fjerne enkeltrettigheten Krav og betalinger (lese)?" in page.inner_text("main")
        assert su.rights.count() == 1
        page.click("button:has-text('Ja, fjern enkeltrettigheten')")
        page.wait_for_url(f"{live_server.url}/systemuser/{su.pk}/")
        assert "Rettigheten til Krav og betalinger er fjernet" in page.inner_text("[role=status]")
        assert su.rights.count() == 0
    finally:
        context.close()

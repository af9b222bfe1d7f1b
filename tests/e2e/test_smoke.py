import pytest
from playwright.sync_api import expect

from lib.identifiers import grouped_orgno
from tests import factories as f
from tests.e2e.conftest import axe_violations, login

pytestmark = pytest.mark.e2e


def _set_language(page, live_server, code: str) -> None:
    page.goto(f"{live_server.url}/")
    page.click(f"form.language-form button[value={code}]")
    page.wait_for_selector(f"html[lang={code}]")


@pytest.mark.django_db(transaction=True)
def test_a_person_logs_in_and_chooses_whom_to_act_for(page, live_server, manager, customer):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))  # one organisation would need no choice
    login(page, live_server, manager.pid)
    assert "Hvem vil du representere" in page.content()
    assert axe_violations(page) == []
    page.click(f"text={customer.name}")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert customer.name in page.inner_text("[data-testid=who]")
    assert grouped_orgno(customer.orgno) in page.inner_text("[data-testid=who]")  # "310 000 000"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_shell_pages_have_no_wcag_violations(page, live_server, lang, manager, customer):
    for i in range(12):
        f.give_role(manager, "DAGL", f.make_org(f"Klient {i:02d} AS"))
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _set_language(page, live_server, lang)
    assert axe_violations(page) == [], "home"
    page.goto(f"{live_server.url}/login/")
    assert axe_violations(page) == [], "login choice"
    page.goto(f"{live_server.url}/login/test/")
    assert axe_violations(page) == [], "test login"
    page.fill("input[name=pid]", "123")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#pid-error")
    assert axe_violations(page) == [], "test login with an error"
    page.fill("input[name=pid]", manager.pid)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#org-q")
    assert axe_violations(page) == [], "act-for page"
    page.fill("#org-q", "klient 0")
    expect(page.locator("#org-results li")).to_have_count(10)
    assert axe_violations(page) == [], "act-for page filtered"
    page.click("#org-results li button")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert axe_violations(page) == [], "after the choice"
    # No CSP violation (inline script/style) and no script error on the way; the 400 is the refused pid.
    assert [p for p in problems if "400 (Bad Request)" not in p] == []


@pytest.mark.django_db(transaction=True)
def test_a_person_with_no_organisations_sees_an_accessible_explanation(page, live_server, outsider):
    login(page, live_server, outsider.pid)
    page.wait_for_selector("[data-testid=no-orgs]")
    assert "Du kan ikke representere noen virksomhet ennå" in page.inner_text("main")
    assert axe_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_an_organisation_is_chosen_with_the_keyboard_alone(page, live_server, db):
    person = f.make_person("Regine Regnskap")
    for i in range(30):
        f.give_role(person, "DAGL", f.make_org(f"Klient {i:02d} AS"))
    login(page, live_server, person.pid)
    page.wait_for_selector("#org-q")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hopp til hovedinnhold"
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "org-q":
            break
    assert page.evaluate("document.activeElement.id") == "org-q"
    page.keyboard.type("klient 17")
    expect(page.locator("#org-results li")).to_have_count(1)
    assert "1 virksomhet passer søket." in page.inner_text("#org-count")
    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")  # the only organisation left
    assert "Klient 17 AS" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert "Klient 17 AS" in page.inner_text("[data-testid=actor]")


@pytest.mark.django_db(transaction=True)
def test_the_search_works_without_javascript(browser, live_server, manager, customer):
    context = browser.new_context(locale="nb-NO", java_script_enabled=False)
    page = context.new_page()
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    login(page, live_server, manager.pid)
    page.fill("#org-q", "annen")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/actor/?q=annen")
    assert "Annen Bedrift AS" in page.inner_text("#org-results")
    assert customer.name not in page.inner_text("#org-results")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_language_choice_is_kept_across_pages_and_logins(page, live_server, manager, customer):
    f.give_role(manager, "DAGL", f.make_org("Annen Bedrift AS"))
    _set_language(page, live_server, "en")
    assert "Log in" in page.inner_text("main")
    login(page, live_server, manager.pid)
    assert "Who do you want to act for?" in page.inner_text("main")
    page.click(f"text={customer.name}")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    assert "You are now acting for" in page.inner_text("main")
    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/")
    assert "You are logged out." in page.inner_text("main")
    _set_language(page, live_server, "nn")
    assert "Logg inn for å sjå" in page.inner_text("main")

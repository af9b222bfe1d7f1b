"""The whole vendor-driven path in a real browser: a vendor request exists → the person opens the
confirm link → logs in → lands back on the approval page → approves → lands on the vendor's
redirect URL → the request is Accepted and the system user exists with the request's id.

The request is made through the model here, to focus on the page (test_vendor_flow.py walks the same
path from the vendor API to the token); the vendor's redirect URL is answered by the browser itself
(page.route), so nothing leaves the machine.
"""

import io
import uuid
from types import SimpleNamespace

import pytest

from approvals.models import Request, RequestStatus
from lib.identifiers import grouped_orgno
from registry.models import SystemUser
from tests.approvals.conftest import make_request
from tests.e2e.conftest import axe_violations, docs_screenshot

pytestmark = pytest.mark.e2e

CALLBACK = "https://vendor.example/callback?state=42"


@pytest.mark.django_db(transaction=True)
def test_a_manager_approves_a_vendor_request_from_the_link(page, live_server, manager, customer, vendor, system):
    request_obj = make_request(system, customer, redirect_url=CALLBACK)
    page.route(
        "https://vendor.example/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<html lang='nb'><title>Leverandør</title><h1>Takk!</h1></html>"
        ),
    )
    confirm_url = f"{live_server.url}/systemuser/request?id={request_obj.id}"

    page.goto(confirm_url)
    assert "/login/" in page.url  # login first, then back to the page
    page.click("text=Testinnlogging")
    page.fill("input[name=pid]", manager.pid)
    page.click("button[type=submit] >> text=Logg inn")
    page.wait_for_url(confirm_url)

    assert customer.name in page.inner_text("[data-testid=switched]")
    assert f"{vendor.name} (org.nr. {grouped_orgno(vendor.orgno)})" in page.inner_text("[data-testid=vendor]")
    assert "Skatt næring" in page.inner_text("[data-testid=packages]")
    assert "Krav og betalinger" in page.inner_text("[data-testid=rights]")
    assert axe_violations(page) == []

    page.click("button >> text=Godkjenn")
    page.wait_for_url(CALLBACK)
    assert page.inner_text("h1") == "Takk!"

    assert Request.objects.get(pk=request_obj.pk).status == RequestStatus.ACCEPTED
    system_user = SystemUser.objects.get(pk=request_obj.pk)
    assert system_user.owner == customer and system_user.created_by == manager

    page.goto(confirm_url)
    assert "godkjent" in page.inner_text("[data-testid=state]")
    assert page.locator("button >> text=Godkjenn").count() == 0
    assert axe_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_a_person_without_authority_gets_a_clear_refusal(page, live_server, outsider, customer, system):
    from tests.e2e.conftest import login

    request_obj = make_request(system, customer)
    url = f"/systemuser/request?id={request_obj.id}"
    login(page, live_server, outsider.pid, url)
    page.wait_for_url(f"{live_server.url}{url}")
    assert "Du har ikke tilgang" in page.inner_text("h1")
    assert customer.name not in page.content()
    assert axe_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_a_firm_approves_a_change_to_its_agent_system_access(page, live_server, accounting_firm, vendor):
    """The change-request page for an agent system user names the client that does not give the new
    package, is axe-clean, and approving adds the package."""
    from approvals.models import ChangeRequest
    from registry.models import SystemUserPackage
    from tests.approvals.test_agent_change_requests import PAYROLL, SIGNING, add_client
    from tests.e2e.conftest import login
    from tests.factories import give_role, make_person, make_system

    boss = make_person("Dagny Daglig")
    give_role(boss, "DAGL", accounting_firm)
    system = make_system(vendor, "regnskapsbyraa", rights=[], packages=[SIGNING, PAYROLL], visible=False)
    agent = SystemUser.objects.create(
        integration_title="Byråsystem", owner=accounting_firm, system=system, user_type="agent"
    )
    SystemUserPackage.objects.create(system_user=agent, package_id=SIGNING)
    add_client(agent, "Fiskebutikken AS", regn=False)
    change = ChangeRequest.objects.create(id=uuid.uuid4(), system_user=agent, required_access_packages=[PAYROLL])
    url = f"/systemuser/changerequest?id={change.id}"

    login(page, live_server, boss.pid, url)
    page.wait_for_url(f"{live_server.url}{url}")
    assert "Fiskebutikken AS" in page.inner_text("[data-testid=clients-lacking]")
    assert axe_violations(page) == []
    page.click("button >> text=Godkjenn")
    page.wait_for_url(f"{live_server.url}{url}")
    assert "godkjent" in page.inner_text("[data-testid=state]")
    assert set(agent.packages.values_list("package_id", flat=True)) == {SIGNING, PAYROLL}
    assert axe_violations(page) == []


@pytest.mark.django_db(transaction=True)
def test_the_approval_page_says_what_approving_means_and_reject_asks_once(
    browser, live_server, manager, customer, vendor, system
):
    """Before approving: each package's services and actions (opened with the keyboard), who the vendor
    is, that it can be withdrawn; "Avvis" opens a question first. Screenshots for the docs at 375/1280 px."""
    from tests.e2e.test_systemusers import act_for

    request_obj = make_request(system, customer, redirect_url="")  # no vendor page: back to this page
    context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        act_for(page, live_server, manager, customer)
        page.goto(f"{live_server.url}/systemuser/request?id={request_obj.id}")
        assert "Du kan når som helst trekke tilbake systemtilgangen" in page.inner_text("[data-testid=withdraw-note]")
        services = page.locator("[data-testid=packages] [data-testid=grant-services]")
        assert not services.evaluate("d => d.open")
        services.locator("summary").focus()
        page.keyboard.press("Enter")  # open with the keyboard
        assert services.evaluate("d => d.open")
        services.locator("li").first.wait_for(state="visible")
        text = services.inner_text()
        assert "Skattemelding for næringsdrivende: lese, skrive, signere" in text and "«Signere» betyr" in text
        assert "Intern saksbehandling" not in page.content()
        assert axe_violations(page) == []
        docs_screenshot(page, "approval-1280")
        page.set_viewport_size({"width": 375, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        docs_screenshot(page, "approval-375")
        page.set_viewport_size({"width": 1280, "height": 900})

        reject = page.locator("[data-testid=reject]")
        reject.locator("summary").focus()
        page.keyboard.press("Enter")  # "Avvis forespørselen" asks first …
        reject.locator("p").wait_for(state="visible")
        assert "får beskjed" in reject.inner_text()
        assert Request.objects.get(pk=request_obj.pk).status == RequestStatus.NEW
        assert axe_violations(page) == []
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent").strip() == "Ja, avvis forespørselen"
        page.keyboard.press("Enter")  # … and the keyboard answers
        page.wait_for_selector("[data-testid=state]")
        assert Request.objects.get(pk=request_obj.pk).status == RequestStatus.REJECTED
        assert axe_violations(page) == []
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_the_demo_s_request_approved_lands_on_the_overview_that_tells_the_outcome(browser, live_server, settings):
    """`make run` at any address: load_demo's link and the request's redirect URL name the address the
    portal serves (PORTAL_BASE_URL), so approving lands on a page that exists and says it worked."""
    from django.core.management import call_command

    from demo import data as demo
    from tests.e2e.conftest import login

    base = live_server.url.replace("localhost", "127.0.0.1")  # a loopback redirect URL is an IP literal
    settings.PORTAL_BASE_URL = base
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    link = f"{base}/systemuser/request?id={demo.REQUEST_BAKERIET}"
    assert link in out.getvalue()
    context = browser.new_context(locale="nb-NO", viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, SimpleNamespace(url=base), demo.KARI, next_url=link.removeprefix(base))
        page.wait_for_url(link)
        page.click("button:has-text('Godkjenn systemtilgang')")
        page.wait_for_url(f"{base}/systemuser/")
        assert "Forespørselen er godkjent, og systemtilgangen for Fakturaprogrammet er opprettet." in page.inner_text(
            ".messages"
        )
        assert "Fakturaprogrammet for Bakeriet" in page.inner_text("[data-testid=standard]")
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
        assert axe_violations(page) == []
    finally:
        context.close()

"""Front-channel logout in a real browser: the person logs out at the provider, whose logout page loads
the portal's frontchannel_logout_uri in a hidden iframe (the real test provider does it as ID-porten
does); the portal session ends, and the browser let the issuer frame the page."""

import pytest

from registry.models import AuditEvent
from tests import factories as f
from tests.oidc_provider.fixtures import pid_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KARI = pid_of("Kari")


@pytest.fixture
def portal_with_id_porten(settings, browser_oidc_provider, live_server):
    for name, value in browser_oidc_provider.settings_for(base_url=live_server.url).items():
        setattr(settings, name, value)
    return browser_oidc_provider


def test_logging_out_at_id_porten_ends_the_portal_session(page, live_server, portal_with_id_porten, customer):
    kari = f.make_person("Kari Nordmann", pid=KARI)
    f.give_role(kari, "DAGL", customer)
    console = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{live_server.url}/login/oidc/")
    page.fill("input[name=pid]", KARI)
    page.click("button >> text=Logg inn")
    page.wait_for_url(f"{live_server.url}/systemuser/")  # her only organisation: no choice to make

    # "Elsewhere": the provider's own logout page, not the portal's logout button.
    with page.expect_response(lambda r: "/login/oidc/frontchannel-logout/" in r.url) as framed:
        page.goto(f"{portal_with_id_porten.issuer}/session/end")
    assert framed.value.status == 200
    page.wait_for_selector("text=Du er logget ut av TestID")
    assert not [text for text in console if "Refused to frame" in text or "frame-ancestors" in text]

    page.goto(f"{live_server.url}/systemuser/")
    assert page.url.startswith(f"{live_server.url}/login/")
    assert AuditEvent.objects.filter(action="person.logout", actor=f"person:{KARI}").count() == 1

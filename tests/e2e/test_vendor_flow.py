"""The whole vendor-driven path over real HTTP and a real browser (issue 5):

the vendor API creates a request → the business is mailed the link → the person opens the confirmUrl,
logs in and approves → lands on the vendor's redirect URL → the vendor reads `Accepted` from the API
and is mailed → the token endpoint issues a system-user token for the request's id.

The vendor's redirect URL is answered by the browser itself (page.route): nothing leaves the machine.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

import jwt
import pytest
from django.core import mail

from tests.e2e.conftest import axe_violations
from tests.maskinporten.helpers import DEMO_SCOPE, GRANT_TYPE, bearer_for, make_client, sign_grant, systemuser_details

pytestmark = pytest.mark.e2e

API = "/authentication/api/v1/systemuser/request/vendor"
REQUEST_SCOPES = ("altinn:authentication/systemuser.request.write", "altinn:authentication/systemuser.request.read")
CALLBACK = "https://vendor.example/callback?state=42"


def http(url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.mark.django_db(transaction=True)
def test_vendor_request_to_system_user_token(page, live_server, settings, manager, customer, vendor, system):
    settings.PORTAL_BASE_URL = live_server.url
    bearer = {"Authorization": bearer_for(vendor, *REQUEST_SCOPES), "Content-Type": "application/json"}
    body = {
        "systemId": system.system_id,
        "partyOrgNo": customer.orgno,
        "rights": [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}],
        "accessPackages": [{"urn": "urn:altinn:accesspackage:skatt-naering"}],
        "redirectUrl": CALLBACK,
    }
    status, created = http(live_server.url + API, data=json.dumps(body).encode(), headers=bearer)
    assert status == 201, created
    assert created["confirmUrl"] == f"{live_server.url}/systemuser/request?id={created['id']}"
    [notice] = [m for m in mail.outbox if m.to == [customer.email]]  # the business hears of it by e-mail
    assert created["confirmUrl"] in notice.body

    page.route(
        "https://vendor.example/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<html lang='nb'><title>Leverandør</title><h1>Takk!</h1></html>"
        ),
    )
    page.goto(created["confirmUrl"])
    page.click("text=Testinnlogging")
    page.fill("input[name=pid]", manager.pid)
    page.click("button[type=submit] >> text=Logg inn")
    page.wait_for_url(created["confirmUrl"])
    assert vendor.name in page.inner_text("[data-testid=vendor]")
    assert axe_violations(page) == []
    page.click("button >> text=Godkjenn")
    page.wait_for_url(CALLBACK)

    status, seen = http(f"{live_server.url}{API}/{created['id']}", headers=bearer)
    assert status == 200 and seen["status"] == "Accepted"
    assert any(m.to == [vendor.email] and "godkjent" in m.subject for m in mail.outbox)

    client, kid = make_client(vendor, DEMO_SCOPE, client_id=system.clients.get().client_id)
    grant = sign_grant(
        client.client_id,
        kid,
        audience=settings.TOKEN_ISSUER,
        scope=DEMO_SCOPE,
        authorization_details=systemuser_details(customer.orgno),
    )
    form = urllib.parse.urlencode({"grant_type": GRANT_TYPE, "assertion": grant}).encode()
    status, token = http(
        f"{live_server.url}/token", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200, token
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    [details] = claims["authorization_details"]
    assert details["systemuser_id"] == [created["id"]]
    assert details["systemuser_org"]["ID"] == f"0192:{customer.orgno}"

"""A vendor's program written against Altinn's documentation only (altinn_client.py) runs its whole flow
against us, changing nothing but its base URLs: Maskinporten token, exchange for an Altinn token, register
its system (and, run again, update it), ask the customer, the customer's general manager approves in the
portal, read the status and `bysystem`, get a system-user token, exchange it, and call the demo API —
which validates the platform token against our OpenID metadata and asks our PDP. All over real HTTP."""

import functools
import json
import re
from urllib.parse import quote, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command

from demo.provider import API_SCOPE, RESOURCE
from tests.demo.altinn_client import AltinnVendorProgram

SCOPES = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
]
PACKAGE = "urn:altinn:accesspackage:skatt-naering"


@functools.cache
def vendor_key() -> rsa.RSAPrivateKey:
    """The vendor's own key: a public key serves one client, and the demo provider's client has the test key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def register_client(tmp_path, vendor, capsys) -> dict:
    """The operator's step (Maskinporten's self-service portal, at Altinn): the vendor's client and key."""
    public = tmp_path / "vendor-public.pem"
    public.write_bytes(
        vendor_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    args = ["--org", vendor.orgno, "--public-key", str(public)]
    for scope in [*SCOPES, API_SCOPE]:
        args += ["--scope", scope]
    capsys.readouterr()
    call_command("create_client", *args)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def approve_in_portal(server: str, confirm_url: str, pid: str) -> None:
    """The customer's general manager opens the link, logs in (test login) and presses approve."""
    browser = requests.Session()
    target = urlsplit(confirm_url)
    login = f"{server}/login/test/?next={quote(target.path + '?' + target.query)}"
    browser.get(login, timeout=10).raise_for_status()
    form = {"pid": pid, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    page = browser.post(login, data=form, timeout=10)
    assert page.url == confirm_url, page.url
    approve = re.search(r'<form method="post" action="([^"]*/approve/)"', page.text)
    assert approve, page.text
    decided = browser.post(server + approve[1], data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]}, timeout=10)
    assert decided.status_code == 200, decided.text


def test_an_altinn_client_runs_unchanged_from_token_to_the_demo_api(
    server, demo_api, vendor, customer, manager, tmp_path, capsys
):
    registered = register_client(tmp_path, vendor, capsys)
    program = AltinnVendorProgram(
        maskinporten=server,  # the only change a vendor makes: the base URLs
        platform=server,
        client_id=registered["client_id"],
        kid=registered["kid"],
        private_key_pem=vendor_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    token = program.login(" ".join(SCOPES))
    system_id = f"{vendor.orgno}_aarsregnskap"
    system = {
        "id": system_id,
        "vendor": {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"},
        "name": {"nb": "Årsregnskap", "nn": "Årsrekneskap", "en": "Annual accounts"},
        "description": {"nb": "Årsregnskap og skattemelding", "en": "Annual accounts and tax returns"},
        "rights": [{"resource": [{"id": "urn:altinn:resource", "value": RESOURCE}]}],
        "accessPackages": [{"urn": PACKAGE}],
        "clientId": [registered["client_id"]],
        "allowedRedirectUrls": [],
        "isVisible": True,
    }
    assert program.register_system(token, system) == "created"
    assert program.register_system(token, system) == "updated"  # run again: "already exists", then PUT

    asked = program.request_system_user(
        token, {"systemId": system_id, "partyOrgNo": customer.orgno, "accessPackages": [{"urn": PACKAGE}]}
    )
    assert asked["status"] == "New"
    approve_in_portal(server, asked["confirmUrl"], manager.pid)
    assert program.request_status(token, asked["id"]) == "Accepted"
    assert [u["reporteeOrgNo"] for u in program.system_users(token, system_id)] == [customer.orgno]

    system_user_token = program.login(API_SCOPE, customer_orgno=customer.orgno)
    answer = requests.get(
        f"{demo_api}/krav-og-betalinger/{customer.orgno}",
        headers={"Authorization": f"Bearer {system_user_token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["organisasjonsnummer"], answer.json()["systembruker"]) == (customer.orgno, asked["id"])

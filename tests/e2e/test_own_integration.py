"""A business registers its own integration in a real browser, with the keyboard alone: name, pasted
public key, a right; then copies the token example, runs it and gets a system-user token the PDP
permits; deletes the system access, and the same example is refused. axe on every step, nb/nn/en."""

import json
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from registry.models import SystemUser
from tests.e2e.conftest import axe_violations
from tests.e2e.test_systemusers import act_for, tab_to
from tests.maskinporten.test_self_developed import pdp_decision

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def key_pair(tmp_path):
    """A fresh RSA key: the private half in a file beside the example, as the business would keep it."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "private-key.pem").write_bytes(private_pem)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public_pem.decode(), private_pem.decode()


def run_example(code: str, cwd) -> subprocess.CompletedProcess:
    (cwd / "example.py").write_text(code)
    return subprocess.run([sys.executable, "example.py"], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_register_paste_pick_copy_get_a_token_then_delete(
    browser, live_server, settings, manager, customer, key_pair, tmp_path, client
):
    settings.PORTAL_BASE_URL = live_server.url
    public_pem, private_pem = key_pair
    context = browser.new_context(locale="nb-NO", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    act_for(page, live_server, manager, customer)

    tab_to(page, "Opprett systemtilgang")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/new/")
    tab_to(page, "Registrer et egenutviklet system")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/own/new/")
    assert axe_violations(page) == []

    # A private key pasted by mistake: refused with a warning, and not shown again.
    tab_to(page, selector="#field-name_nb")
    page.keyboard.type("Bakeriets lønnskobling")
    tab_to(page, selector="#public_key")
    page.keyboard.insert_text(private_pem)
    tab_to(page, selector="input[value='ske-krav-og-betalinger|read']")
    page.keyboard.press("Space")
    tab_to(page, "Registrer og opprett systemtilgang")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=key-error] >> text=Dette er en privat nøkkel")
    assert "PRIVATE KEY" not in page.content()
    assert page.input_value("#field-name_nb") == "Bakeriets lønnskobling"
    assert axe_violations(page) == []  # the error state

    tab_to(page, selector="#public_key")
    page.keyboard.insert_text(public_pem)
    if not page.is_checked("input[value='ske-krav-og-betalinger|read']"):
        tab_to(page, selector="input[value='ske-krav-og-betalinger|read']")
        page.keyboard.press("Space")
    tab_to(page, "Registrer og opprett systemtilgang")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages >> text=er opprettet")
    system_user = SystemUser.objects.get(system__is_self_developed=True)
    assert page.url == f"{live_server.url}/systemuser/{system_user.pk}/integration/"
    assert axe_violations(page) == []

    # Copy the example with the keyboard, run it as the business would: a system-user token.
    tab_to(page, "Kopier eksempelet")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-copy-status] >> text=Kopiert", state="attached")
    example = page.evaluate("() => navigator.clipboard.readText()")
    assert example == page.inner_text("[data-testid=example]")
    result = run_example(example, tmp_path)
    assert result.returncode == 0, result.stderr
    claims = json.loads(_b64(result.stdout.strip().split(".")[1]))
    assert claims["consumer"]["ID"] == f"0192:{customer.orgno}"
    assert claims["authorization_details"][0]["systemuser_id"] == [str(system_user.pk)]
    assert pdp_decision(client, system_user) == "Permit"
    page.reload()
    assert "Ikke brukt" not in page.inner_text("[data-testid=keys]")  # last used is shown now

    # Delete the system access: the same program gets no token, the PDP permits nothing.
    page.goto(f"{live_server.url}/systemuser/{system_user.pk}/")
    assert axe_violations(page) == []
    tab_to(page, selector="#delete-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=confirm-delete]")
    page.wait_for_function("() => document.activeElement.id === 'confirm-delete-heading'")
    assert axe_violations(page) == []
    tab_to(page, "Ja, slett systemtilgangen")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/systemuser/")
    result = run_example(example, tmp_path)
    assert result.returncode != 0 and "400" in result.stderr
    assert pdp_decision(client, system_user) != "Permit"
    context.close()


def _b64(segment: str) -> str:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_every_step_is_axe_clean_in_each_language(page, live_server, lang, manager, customer, key_pair):
    act_for(page, live_server, manager, customer)
    page.click(f"form.language-form button[value={lang}]")
    page.wait_for_selector(f"html[lang={lang}]")
    page.goto(f"{live_server.url}/systemuser/own/new/")
    assert axe_violations(page) == [], "form"
    page.fill("#field-name_nb", "Kobling")
    page.fill("#public_key", "not a key")
    page.click("main form[enctype] button[type=submit][data-variant=primary]")
    page.wait_for_selector("[data-testid=key-error]")
    assert axe_violations(page) == [], "form with errors"
    page.fill("#public_key", key_pair[0])
    page.check("input[value='ske-krav-og-betalinger|read']")
    page.click("main form[enctype] button[type=submit][data-variant=primary]")
    page.wait_for_url("**/integration/")
    assert axe_violations(page) == [], "integration page"
    page.fill("#public_key", key_pair[0])
    page.click("form[action$='/keys/'] button[type=submit]")
    page.wait_for_selector("[data-testid=key-error]")
    assert axe_violations(page) == [], "integration page with a key error"

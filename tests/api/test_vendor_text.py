"""Issue 18, item 1: a vendor's text can not forge the platform's e-mails.

A system name with a line break and a link rendered as a paragraph of the platform's own mail, above
the real link. Vendor text fields now refuse control and format characters (Unicode Cc/Cf, bidi
overrides included) with an AUTH.VLD problem, at the API and in the admin, and every mail puts vendor
text in a quoted, labelled place after the platform's own sentence and link.
"""

import pytest

from approvals.models import Request
from registry.models import Notification, RegisteredSystem
from tests.api.conftest import system_body, validation_codes
from tests.registry.test_system_admin import ADD, form_data

CONTROL = "AUTH.VLD-00030"
FORGED = "Fakturaprogrammet».\n\nVIKTIG: Lenken under er utløpt. Godkjenn i stedet her:\nhttps://evil.example/"
RIGHTS = [{"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}]
BAD = [FORGED, "Faktura\rprogram", "Faktura\u202eprogram", "Faktura\u2066x\u2069", "Faktura\x1b[31m", "a\u200bb"]


@pytest.mark.parametrize("bad", BAD)
def test_a_system_name_with_control_or_format_characters_is_refused(api, vendor, bad):
    response = api.post("systemregister/vendor", system_body(vendor, name={"nb": bad}))
    assert validation_codes(response) == [CONTROL]
    assert response.json()["validationErrors"][0]["paths"] == ["/registersystemrequest/name/nb"]
    assert not RegisteredSystem.objects.exists()


def test_names_are_short(api, vendor):
    assert api.post("systemregister/vendor", system_body(vendor, name={"nb": "N" * 200})).status_code == 200
    response = api.post("systemregister/vendor", system_body(vendor, "lang", name={"nb": "N" * 201}, clientId=[]))
    assert validation_codes(response) == ["STD.VLD-00001"]


def test_a_description_may_have_line_breaks_but_no_bidi_overrides(api, vendor):
    ok = api.post("systemregister/vendor", system_body(vendor, description={"nb": "Linje én\nLinje to\ttab"}))
    assert ok.status_code == 200, ok.json()
    bad = system_body(vendor, "annet", description={"en": "Read \u202etxt.exe"}, clientId=[])
    response = api.post("systemregister/vendor", bad)
    assert validation_codes(response) == [CONTROL]
    assert response.json()["validationErrors"][0]["paths"] == ["/registersystemrequest/description/en"]


@pytest.mark.parametrize("field", ["integrationTitle", "externalRef"])
def test_a_request_with_control_characters_in_its_texts_is_refused(api, system, customer, field):
    body = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "accessPackages": [], field: FORGED}
    body["rights"] = RIGHTS
    response = api.post("systemuser/request/vendor", body)
    assert validation_codes(response) == [CONTROL]
    assert response.json()["validationErrors"][0]["paths"] == [f"/{field.lower()}"]
    assert not Request.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(
    "field, text", [("name_nb", "Faktura\u202eprogram"), ("name_en", "Two\nlines"), ("description_nn", "\u2067x")]
)
def test_the_admin_refuses_the_same_characters(admin_client, vendor, field, text):
    response = admin_client.post(ADD, form_data(vendor, **{field: text}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(CONTROL in e for e in errors[field]), errors
    assert not RegisteredSystem.objects.exists()


def test_the_request_mail_puts_vendor_text_after_the_link_in_a_labelled_quote(api, system, customer):
    system.name = {"nb": "Fakturaprogrammet https://vendor-text.example/"}
    system.save(update_fields=["name"])
    body = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "integrationTitle": "Tittel fra leverandør"}
    body["rights"] = RIGHTS
    assert api.post("systemuser/request/vendor", body).status_code == 201
    mail = Notification.objects.get(kind="request.created").body
    link = mail.index("/systemuser/request?id=")
    label = mail.index("Tekst fra leverandøren")
    assert link < label < mail.index("> System: Fakturaprogrammet https://vendor-text.example/")
    assert mail.index("> Tittel: Tittel fra leverandør") > label
    assert mail[:link].count("vendor-text.example") == 0 and "Tittel fra leverandør" not in mail[:label]


# Every mail to the business that names vendor text (the system's name, the integration title).
PARTY_MAILS = [
    "request_created",
    "request_reminder",
    "request_escalated",
    "request_digest",
    "changerequest_created",
    "changerequest_reminder",
    "changerequest_digest",
]


@pytest.mark.parametrize("template", PARTY_MAILS)
def test_every_mail_to_the_business_quotes_vendor_text_after_the_platforms_link(template):
    from types import SimpleNamespace as Obj

    from django.template.loader import render_to_string
    from django.utils import timezone

    system = Obj(system_id="faktura", display_name="Fakturaprogrammet https://system-name.example/")
    request = Obj(id="r1", system=system, integration_title="Tittel https://title.example/")
    request.system_user = request  # a change request's title is its system user's
    org = Obj(name="Bakeriet AS", orgno="310000019")
    context = {
        "request": request,
        "system": system,
        "vendor": Obj(name="Leverandøren AS", orgno="310000000"),
        "party": org,
        "by": org,
        "system_user": request,
        "items": [(request, "https://portal.example/LINK")],  # the digests
        "link": "https://portal.example/LINK",
        "expires": timezone.now(),
    }
    mail = render_to_string(f"approvals/email/{template}.txt", context)
    label = mail.index("Tekst fra leverandøren Leverandøren AS")
    assert mail.index("https://portal.example/LINK") < label
    assert label < mail.index("> System: Fakturaprogrammet https://system-name.example/")
    assert label < mail.index("> Tittel: Tittel https://title.example/")
    assert "system-name.example" not in mail[:label] and "title.example" not in mail[:label]

"""Altinn's system-user request and change-request examples against our API."""

import uuid

from django.conf import settings

from registry.models import SystemUser, SystemUserRight
from tests import factories as f
from tests.api.conftest import assert_problem
from tests.conformance.conftest import assert_has_altinn_fields, example, swap

KRAV = "ske-krav-og-betalinger"


def test_the_standard_request_example_is_created_with_every_field_of_altinns_response(api, vendor, customer):
    altinn = example("request_standard")
    system = f.make_system(vendor, "dhana_test_01", rights=[(KRAV, "")])
    body = swap(
        altinn["request"],
        {"991825827_dhana_test_01": system.system_id, "314112938": customer.orgno, "authentication-e2e-test": KRAV},
    )
    assert "Resource" in body["rights"][0]  # Altinn's own casing

    response = api.post("systemuser/request/vendor", body)

    assert response.status_code == 201, response.content
    ours = response.json()
    assert_has_altinn_fields(ours, altinn["response"])
    assert response["Location"].endswith(ours["id"])
    assert ours["systemId"] == system.system_id
    assert ours["partyOrgNo"] == customer.orgno
    # `externalReference` is not a field (Altinn's example shows it ignored): externalRef defaults to the party
    assert ours["externalRef"] == customer.orgno
    assert ours["rights"][0]["resource"] == [{"id": "urn:altinn:resource", "value": KRAV}]
    assert ours["status"] == "New"
    assert ours["redirectUrl"] == ""
    assert ours["confirmUrl"] == f"{settings.PORTAL_BASE_URL}/systemuser/request?id={ours['id']}"

    for path in (
        f"systemuser/request/vendor/{ours['id']}",
        f"systemuser/request/vendor/byexternalref/{system.system_id}/{customer.orgno}/{customer.orgno}",
    ):
        read = api.get(path)
        assert read.status_code == 200, (path, read.content)
        assert_has_altinn_fields(read.json(), altinn["response"])
        assert read.json()["id"] == ours["id"]


def test_the_guide_request_example_with_a_redirect_url(api, vendor, customer):
    altinn = example("request_standard_guide")
    system = f.make_system(
        vendor, "smartcloud", rights=[(KRAV, "")], redirect_urls=["https://smartcloud.example/receipt"]
    )
    ids = {"991825827_smartcloud": system.system_id, "310904473": customer.orgno}
    body = swap(altinn["request"], ids | {"https://smartcloudxxxxxxx/receipt": "https://smartcloud.example/receipt"})

    response = api.post("systemuser/request/vendor", body)

    assert response.status_code == 201, response.content
    ours = response.json()
    assert_has_altinn_fields(ours, altinn["response"])
    assert ours["externalRef"] == body["externalRef"]
    assert ours["redirectUrl"] == "https://smartcloud.example/receipt"

    again = api.post("systemuser/request/vendor", body)  # idempotent: the same request, 200
    assert again.status_code == 200
    assert again.json()["id"] == ours["id"]


def test_the_agent_request_examples_are_created(api, vendor, accounting_firm):
    altinn = example("request_agent")
    package = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"
    system = f.make_system(
        vendor,
        "smartcloud_ap",
        rights=[],
        packages=["regnskapsforer-med-signeringsrettighet"],
        redirect_urls=["https://smartcloud.example/receipt"],
        visible=False,
    )
    ids = {"991825827_smartcloud_ap": system.system_id, "991825827_dhana_ap": system.system_id}
    ids |= {
        "314250052": accounting_firm.orgno,
        "https://smartcloudaltinn.azurewebsites.net/receipt": "https://smartcloud.example/receipt",
    }

    for name in ("request", "request_api_reference"):  # the second spells it `accesspackages`
        body = swap(altinn[name], ids)
        response = api.post("systemuser/request/vendor/agent", body)

        assert response.status_code == 201, (name, response.content)
        ours = response.json()
        assert_has_altinn_fields(ours, altinn["response"])
        assert ours["accessPackages"] == [{"urn": package}]
        assert ours["externalRef"] == body["externalRef"]
        assert ours["confirmUrl"] == f"{settings.PORTAL_BASE_URL}/systemuser/agentrequest?id={ours['id']}"
        read = api.get(f"systemuser/request/vendor/agent/{ours['id']}")
        assert read.status_code == 200
        assert_has_altinn_fields(read.json(), altinn["response"])


def test_the_change_request_example_is_created_with_every_field_of_altinns_response(api, vendor, customer):
    altinn = example("changerequest")
    system = f.make_system(
        vendor,
        "virksomhetsbruker",
        rights=[(KRAV, ""), ("ske-mva-melding", ""), ("ske-innrapportering-a-melding", "")],
        packages=["jordbruk", "skogbruk"],
    )
    system_user = SystemUser.objects.create(
        integration_title="Virksomhetsbruker", owner=customer, system=system, external_ref="f592dace"
    )
    SystemUserRight.objects.create(system_user=system_user, resource_id="ske-innrapportering-a-melding", action="")
    body = swap(
        altinn["request"],
        {
            "authentication-e2e-test": KRAV,
            "en-annen-test2": "ske-mva-melding",
            "testressurs": "ske-innrapportering-a-melding",
        },
    )
    correlation_id = str(uuid.uuid4())

    response = api.post(
        f"systemuser/changerequest/vendor?correlation-id={correlation_id}&system-user-id={system_user.id}", body
    )

    assert response.status_code == 201, response.content
    ours = response.json()
    assert_has_altinn_fields(ours, altinn["response"])
    assert response["Location"].endswith(correlation_id)
    assert ours["id"] == correlation_id
    assert ours["systemUserId"] == str(system_user.id)
    assert ours["systemId"] == system.system_id
    assert ours["partyOrgNo"] == customer.orgno
    assert ours["externalRef"] == "f592dace"
    assert [r["resource"][0]["value"] for r in ours["requiredRights"]] == [KRAV, "ske-mva-melding"]
    assert ours["unwantedAccessPackages"] == [{"urn": "urn:altinn:accesspackage:skogbruk"}]
    assert ours["status"] == "New"
    assert ours["confirmUrl"] == f"{settings.PORTAL_BASE_URL}/systemuser/changerequest?id={correlation_id}"
    read = api.get(f"systemuser/changerequest/vendor/{correlation_id}")
    assert read.status_code == 200
    assert_has_altinn_fields(read.json(), altinn["response"])


# --- Altinn's documented error codes ---------------------------------------------------------------------


def test_an_unknown_request_id_is_auth_00010_404(api):
    problem = assert_problem(api.get(f"systemuser/request/vendor/{uuid.uuid4()}"), 404, "AUTH-00010")
    assert set(problem) >= {"type", "title", "status", "detail", "code", "traceId"}


def test_a_redirect_url_the_system_does_not_allow_is_auth_00021(api, vendor, customer):
    system = f.make_system(
        vendor, "smartcloud", rights=[(KRAV, "")], redirect_urls=["https://smartcloud.example/receipt"]
    )
    body = swap(
        example("request_standard_guide")["request"],
        {"991825827_smartcloud": system.system_id, "310904473": customer.orgno},
    )  # Altinn's `https://smartcloudxxxxxxx/receipt` is not one of the system's URLs

    assert_problem(api.post("systemuser/request/vendor", body), 400, "AUTH-00021")
    assert (
        api.get(
            f"systemuser/request/vendor/byexternalref/{system.system_id}/{customer.orgno}/{body['externalRef']}"
        ).status_code
        == 404
    )


def test_an_unknown_system_is_auth_00011_with_our_documented_status_404(api, customer):
    """Altinn's table says 400 for AUTH-00011; CONTRACT §6 chose 404 (docs/vendor-api.md, Differences)."""
    body = swap(example("request_standard")["request"], {"314112938": customer.orgno})
    assert_problem(api.post("systemuser/request/vendor", body), 404, "AUTH-00011")


def test_nulls_for_optional_lists_mean_not_given_as_a_csharp_client_sends_them(api, vendor, customer, accounting_firm):
    """A C# model with an unset List serializes `null`; Altinn's binding takes it as not given."""
    system = f.make_system(vendor, "csharp", rights=[(KRAV, "")], packages=["regnskapsforer-med-signeringsrettighet"])
    right = {"action": None, "resource": [{"id": "urn:altinn:resource", "value": KRAV}]}
    common = {"systemId": system.system_id, "externalRef": None, "integrationTitle": None, "redirectUrl": None}

    standard = api.post(
        "systemuser/request/vendor", common | {"partyOrgNo": customer.orgno, "rights": [right], "accessPackages": None}
    )
    agent_body = {
        "partyOrgNo": accounting_firm.orgno,
        "rights": None,
        "accessPackages": [{"urn": "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"}],
    }
    agent = api.post("systemuser/request/vendor/agent", common | agent_body)

    assert standard.status_code == 201, standard.content
    assert standard.json()["accessPackages"] == []
    assert standard.json()["externalRef"] == customer.orgno
    assert agent.status_code == 201, agent.content
    assert agent.json()["rights"] == []
    # a required field is still required, null or not
    assert_problem(
        api.post("systemuser/request/vendor", {**common, "systemId": None, "partyOrgNo": customer.orgno}),
        400,
        "STD-00000",
    )


def test_nulls_for_optional_lists_in_a_system_body_mean_not_given(api, vendor):
    body = {
        "id": f"{vendor.orgno}_csharp",
        "vendor": {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"},
        "name": {"nb": "C#", "nn": "C#", "en": "C#"},
        "description": None,
        "rights": None,
        "accessPackages": None,
        "clientId": None,
        "allowedRedirectUrls": None,
        "isVisible": False,
    }
    assert api.post("systemregister/vendor", body).status_code == 200
    system = api.get(f"systemregister/vendor/{body['id']}").json()
    assert (system["rights"], system["accessPackages"], system["clientId"], system["allowedRedirectUrls"]) == (
        [],
        [],
        [],
        [],
    )
    assert system["description"] == {}


def test_the_older_change_request_query_by_system_and_orgno_is_refused_as_documented(api, vendor, customer, system):
    """Altinn's English guide still shows `?correlation-id=&system-id=&orgno=`; CONTRACT §2.3 (and Altinn's
    current Norwegian guide) name the system user: `system-user-id` (docs/vendor-api.md, Differences)."""
    SystemUser.objects.create(integration_title="X", owner=customer, system=system, external_ref=customer.orgno)
    query = f"correlation-id={uuid.uuid4()}&system-id={system.system_id}&orgno={customer.orgno}"

    response = api.post(f"systemuser/changerequest/vendor?{query}", example("changerequest")["request"])

    problem = assert_problem(response, 400, "STD-00000")
    assert problem["validationErrors"][0]["paths"] == ["/system-user-id"]

"""Altinn's system-register examples (create, update, rights, access packages) against our API."""

import uuid

from tests import factories as f
from tests.api.conftest import assert_problem, validation_codes
from tests.conformance.conftest import example, swap

ALTINN_VENDOR = "991825827"


def our_ids(vendor, **more) -> dict[str, str]:
    """Altinn's identifiers → ours: the vendor's org number, and resources/packages of our catalog."""
    return {
        ALTINN_VENDOR: vendor.orgno,
        "urn:altinn:accesspackage:skattnaering": "urn:altinn:accesspackage:skatt-naering",
        **more,
    }


def the_create_example(vendor) -> dict:
    """Altinn's create body; its second resource is not in our catalog: ske-mva-melding stands in."""
    return swap(
        example("systemregister_create")["request"], our_ids(vendor, **{"ske-krav-og-betalinger-2": "ske-mva-melding"})
    )


def test_the_create_example_is_registered_and_read_back_with_altinns_fields(api, vendor):
    body = the_create_example(vendor)

    response = api.post("systemregister/vendor", body)

    assert response.status_code == 200, response.content
    internal_id = response.json()
    assert isinstance(internal_id, str) and uuid.UUID(internal_id)  # as Altinn: the new system's guid

    system = api.get(f"systemregister/vendor/{body['id']}").json()
    assert system["id"] == f"{vendor.orgno}_the_matrix"
    assert system["vendor"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"}
    assert system["name"] == body["name"]
    assert system["description"] == body["description"]
    assert [r["resource"] for r in system["rights"]] == [r["resource"] for r in body["rights"]]
    assert system["accessPackages"] == [{"urn": "urn:altinn:accesspackage:skatt-naering"}]
    assert system["clientId"] == ["32ef65ac-6e62-498d-880f-76c85c2052ae"]
    assert system["allowedRedirectUrls"] == ["https://vg.no", "https://nrk.no", "https://altinn.no"]
    assert system["isVisible"] is True
    assert system["isDeleted"] is False  # Altinn's `softDeleted` in a body is not an input: ignored


def test_altinns_integration_test_body_with_pascal_case_names_and_a_bare_vendor_id_is_accepted(api, vendor):
    """Altinn's own integration tests post `Id`, `Vendor: {"ID": …}` (no authority), `Rights[].Resource`."""
    client_id = str(uuid.uuid4())
    body = swap(
        example("systemregister_create_pascalcase")["request"],
        {
            "{vendorId}": vendor.orgno,
            "{Name}": "integrasjonstest",
            "{clientId}": client_id,
            "kravogbetaling": "ske-krav-og-betalinger",
            "ske-innrapportering-boligsameie": "ske-mva-melding",
        },
    )
    assert "authority" not in body["Vendor"]

    response = api.post("systemregister/vendor", body)

    assert response.status_code == 200, response.content
    system = api.get(f"systemregister/vendor/{vendor.orgno}_integrasjonstest").json()
    assert system["vendor"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{vendor.orgno}"}
    assert system["clientId"] == [client_id]
    assert [r["resource"][0]["value"] for r in system["rights"]] == ["ske-krav-og-betalinger", "ske-mva-melding"]
    assert system["allowedRedirectUrls"] == ["https://altinn.no"]


def test_a_vendor_with_another_authority_is_still_refused(api, vendor):
    body = swap(example("systemregister_create")["request"], our_ids(vendor))
    body["rights"] = body["rights"][:1]
    body["vendor"]["authority"] = "some-other-scheme"
    assert "AUTH.VLD-00000" in validation_codes(api.post("systemregister/vendor", body))
    assert api.get(f"systemregister/vendor/{body['id']}").status_code == 404


def test_the_update_example_replaces_the_system(api, vendor):
    altinn = example("systemregister_update")
    system = f.make_system(vendor, "systemwithaccesspackageandresource", packages=["jordbruk"])
    body = swap(altinn["request"], our_ids(vendor))

    response = api.put(f"systemregister/vendor/{system.system_id}", body)

    assert response.status_code == 200, response.content
    after = api.get(f"systemregister/vendor/{system.system_id}").json()
    assert after["accessPackages"] == [{"urn": "urn:altinn:accesspackage:skatt-naering"}]
    assert [r["resource"] for r in after["rights"]] == [r["resource"] for r in body["rights"]]
    assert after["allowedRedirectUrls"] == ["https://vg.no", "https://nrk.no", "https://altinn.no"]
    assert after["clientId"] == ["32ef65ac-6e62-498d-880f-76c85c2052ae"]


def test_the_rights_and_accesspackages_examples_replace_those_lists(api, vendor):
    altinn = example("systemregister_update")
    system = f.make_system(vendor, "revisjon", packages=["jordbruk"], visible=False)
    rights = swap(altinn["rights_request"], {"authentication-e2e-test": "ske-mva-melding"})

    assert api.put(f"systemregister/vendor/{system.system_id}/rights", rights).status_code == 200
    packages = altinn["accesspackages_request"]  # delegable, not assignable: the system is not visible
    assert api.put(f"systemregister/vendor/{system.system_id}/accesspackages", packages).status_code == 200

    after = api.get(f"systemregister/vendor/{system.system_id}").json()
    assert [r["resource"] for r in after["rights"]] == [r["resource"] for r in rights]
    urns = sorted(p["urn"] for p in after["accessPackages"])  # we list packages by code, not as sent
    assert urns == sorted(p["urn"] for p in altinn["accesspackages_request"])


# --- Altinn's documented error codes ---------------------------------------------------------------------


def test_a_system_id_of_another_org_number_is_auth_vld_00001(api, vendor):
    body = the_create_example(vendor)
    body["id"] = "991825827_the_matrix"  # Altinn's own vendor number, not ours
    assert "AUTH.VLD-00001" in validation_codes(api.post("systemregister/vendor", body))


def test_registering_the_example_twice_is_auth_vld_00002(api, vendor):
    body = the_create_example(vendor)
    assert api.post("systemregister/vendor", body).status_code == 200
    body["clientId"] = [str(uuid.uuid4())]
    assert validation_codes(api.post("systemregister/vendor", body)) == ["AUTH.VLD-00002"]


def test_a_resource_that_is_not_in_our_catalog_is_auth_vld_00003_in_altinns_problem_format(api, vendor):
    # Altinn's example names `ske-krav-og-betalinger-2`, which our catalog does not have.
    body = swap(example("systemregister_create")["request"], our_ids(vendor))

    response = api.post("systemregister/vendor", body)

    problem = assert_problem(response, 400, "STD-00000")
    assert set(problem) >= {"type", "title", "status", "detail", "code", "traceId", "validationErrors"}
    (error,) = problem["validationErrors"]
    assert error["code"] == "AUTH.VLD-00003"
    assert set(error) >= {"code", "title", "detail", "paths"}
    assert isinstance(error["paths"], list) and error["paths"]
    assert api.get(f"systemregister/vendor/{body['id']}").status_code == 404


def test_the_same_resource_twice_in_one_right_is_that_one_right(api, vendor):
    # Altinn's example for PUT …/rights repeats the resource attribute inside one right's `resource` list.
    system = f.make_system(vendor, "revisjon", visible=False)
    attribute = {"id": "urn:altinn:resource", "value": "ske-mva-melding"}
    response = api.put(f"systemregister/vendor/{system.system_id}/rights", [{"resource": [attribute, dict(attribute)]}])
    assert response.status_code == 200, response.content
    assert api.get(f"systemregister/vendor/{system.system_id}").json()["rights"] == [
        {"action": None, "resource": [attribute]}
    ]


def test_two_different_resources_in_one_right_stay_a_validation_error(api, vendor):
    system = f.make_system(vendor, "revisjon", visible=False)
    before = api.get(f"systemregister/vendor/{system.system_id}").json()["rights"]
    two = [{"id": "urn:altinn:resource", "value": v} for v in ("ske-mva-melding", "ske-krav-og-betalinger")]
    response = api.put(f"systemregister/vendor/{system.system_id}/rights", [{"resource": two}])
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["validationErrors"]] == ["AUTH.VLD-00009"]
    assert api.get(f"systemregister/vendor/{system.system_id}").json()["rights"] == before

"""Vendor requests: create (idempotently), read, list, delete; every refusal with its AUTH code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import Request, RequestStatus
from registry.models import AuditEvent, SystemUser
from tests import factories as f
from tests.api.conftest import REQUEST_READ, REQUEST_WRITE, assert_problem, validation_codes

RES = "urn:altinn:resource"
KRAV_READ = {"action": "read", "resource": [{"id": RES, "value": "ske-krav-og-betalinger"}]}


def pkg(code):
    return {"urn": f"urn:altinn:accesspackage:{code}"}


@pytest.fixture
def body(system, customer):
    return {"systemId": system.system_id, "partyOrgNo": customer.orgno, "rights": [KRAV_READ]}


@pytest.fixture
def agent_system(vendor):
    return f.make_system(
        vendor, "regnskapsbyra", rights=(), packages=["regnskapsforer-lonn", "lonn", "eksplisitt"], visible=False
    )


def test_a_new_request_is_created_with_a_location_and_a_confirm_url(api, body, customer, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    response = api.post("systemuser/request/vendor", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["Location"] == f"http://testserver/authentication/api/v1/systemuser/request/vendor/{data['id']}"
    assert data["confirmUrl"] == f"https://portal.example/systemuser/request?id={data['id']}"
    assert data["status"] == "New"
    assert data["externalRef"] == customer.orgno
    assert data["partyOrgNo"] == customer.orgno
    assert data["rights"] == [KRAV_READ]
    assert data["accessPackages"] == []
    assert data["timedOut"] is False
    assert data["escalated"] is False
    assert data["integrationTitle"] == "Fakturering"
    assert Request.objects.get(pk=data["id"]).rights == [{"resource": "ske-krav-og-betalinger", "action": "read"}]
    assert AuditEvent.objects.filter(action="request.created", object_id=data["id"]).exists()


def test_posting_the_same_request_again_returns_the_existing_one(api, body):
    first = api.post("systemuser/request/vendor", body)
    again = api.post("systemuser/request/vendor", body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Request.objects.count() == 1


def test_another_external_ref_is_another_request(api, body):
    first = api.post("systemuser/request/vendor", body)
    second = api.post("systemuser/request/vendor", {**body, "externalRef": "avdeling-2"})
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert second.json()["externalRef"] == "avdeling-2"


def test_a_timed_out_request_is_flagged_and_a_new_post_makes_a_new_one(api, body, settings):
    settings.REQUEST_TIMEOUT_DAYS = 10
    old_id = api.post("systemuser/request/vendor", body).json()["id"]
    Request.objects.filter(pk=old_id).update(created=timezone.now() - timedelta(days=11))
    old = api.get(f"systemuser/request/vendor/{old_id}").json()
    assert old["timedOut"] is True
    assert old["status"] == "Timedout"
    again = api.post("systemuser/request/vendor", body)
    assert again.status_code == 201
    assert again.json()["id"] != old_id


def test_a_request_timed_out_when_asked_again_is_recorded_as_the_hourly_job_records_it(api, body, customer, settings):
    """The vendor posts again before the hourly job swept the old request: it is timed out on the spot,
    with the same record as the job's — when (decided_at), the audit event naming the organisation, and
    the vendor's event about that request."""
    from registry.models import VendorEvent

    settings.REQUEST_TIMEOUT_DAYS = 10
    old_id = api.post("systemuser/request/vendor", body).json()["id"]
    Request.objects.filter(pk=old_id).update(created=timezone.now() - timedelta(days=11))
    before = timezone.now()
    assert api.post("systemuser/request/vendor", body).status_code == 201
    old = Request.objects.get(pk=old_id)
    assert old.status == RequestStatus.TIMEDOUT
    assert old.decided_at is not None and before <= old.decided_at <= timezone.now()
    event = AuditEvent.objects.get(action="request.timedout", object_id=old_id)
    assert (event.actor, event.party_orgno) == ("system", customer.orgno)
    (vendor_event,) = VendorEvent.objects.filter(type__endswith="request.timedout")
    assert vendor_event.subject == old_id


def test_an_agent_request_needs_delegable_packages_and_gets_the_agent_confirm_url(api, agent_system, customer):
    body = {
        "systemId": agent_system.system_id,
        "partyOrgNo": customer.orgno,
        "accessPackages": [pkg("regnskapsforer-lonn")],
    }
    response = api.post("systemuser/request/vendor/agent", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert "/systemuser/agentrequest?id=" in data["confirmUrl"]
    assert response["Location"].endswith(f"/systemuser/request/vendor/agent/{data['id']}")
    assert api.get(f"systemuser/request/vendor/agent/{data['id']}").json()["accessPackages"] == [
        pkg("regnskapsforer-lonn")
    ]
    # An agent request is not a standard one.
    assert_problem(api.get(f"systemuser/request/vendor/{data['id']}"), 404, "AUTH-00010")


# --- refusals, in the order CONTRACT §2.2 checks them ------------------------------------------------------


def test_a_live_system_user_for_the_triple_is_auth_00004(api, body, system, customer):
    SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref=customer.orgno)
    assert_problem(api.post("systemuser/request/vendor", body), 400, "AUTH-00004")


def test_an_unknown_system_is_auth_00011(api, body, vendor):
    assert_problem(api.post("systemuser/request/vendor", {**body, "systemId": f"{vendor.orgno}_x"}), 404, "AUTH-00011")


def test_another_vendors_system_is_auth_00011_even_when_a_system_user_exists(other_api, body, system, customer):
    SystemUser.objects.create(integration_title="x", owner=customer, system=system, external_ref=customer.orgno)
    assert_problem(other_api.post("systemuser/request/vendor", body), 404, "AUTH-00011")


@pytest.mark.parametrize("orgno", ["310000001", "123456789", "abc", "3100000011"])
def test_an_unknown_or_malformed_party_is_auth_00000(api, body, orgno):
    assert_problem(api.post("systemuser/request/vendor", {**body, "partyOrgNo": orgno}), 400, "AUTH-00000")


@pytest.mark.parametrize(
    "url",
    [
        "https://vendor.example/callback?state=42",
        "https://VENDOR.example/callback",
        "https://vendor.example:443/callback?x=1",
        "https://vendor.example/callback?" + "a" * 1900,
    ],
)
def test_a_redirect_url_with_the_allowed_scheme_host_port_and_path_is_accepted(api, body, url):
    response = api.post("systemuser/request/vendor", {**body, "redirectUrl": url})
    assert response.status_code == 201, response.json()
    assert response.json()["redirectUrl"] == url


@pytest.mark.parametrize(
    "url",
    [
        "http://vendor.example/callback",
        "https://vendor.example.evil.example/callback",
        "https://evil.example/vendor.example/callback",
        "https://vendor.example@evil.example/callback",
        "https://evil.example@vendor.example/callback",
        "https://vendor.example/callback/../admin",
        "https://vendor.example/callback2",
        "https://vendor.example/Callback",
        "https://vendor.example:8443/callback",
        "https://vendor.example\\@evil.example/callback",
        "https://vendor.example/callback#frag",
        "//vendor.example/callback",
        "javascript:alert(1)//vendor.example/callback",
        "https://vendor.example./callback",
    ],
)
def test_a_redirect_url_that_only_looks_allowed_is_auth_00021(api, body, url):
    assert_problem(api.post("systemuser/request/vendor", {**body, "redirectUrl": url}), 400, "AUTH-00021")
    assert not Request.objects.exists()


def test_outside_production_a_loopback_redirect_url_the_system_allows_is_accepted(api, body, system, settings):
    settings.PRODUCTION = False
    system.allowed_redirect_urls = ["http://127.0.0.1:3000/altinn/ferdig"]
    system.save(update_fields=["allowed_redirect_urls"])
    url = "http://127.0.0.1:3000/altinn/ferdig?klient=42"
    assert api.post("systemuser/request/vendor", {**body, "redirectUrl": url}).status_code == 201
    settings.PRODUCTION = True
    other = {**body, "externalRef": "lager", "redirectUrl": url}
    assert_problem(api.post("systemuser/request/vendor", other), 400, "AUTH-00021")


def test_a_very_long_redirect_url_is_a_validation_error(api, body):
    url = "https://vendor.example/callback?" + "a" * 5000
    assert validation_codes(api.post("systemuser/request/vendor", {**body, "redirectUrl": url})) == ["STD.VLD-00001"]


def test_a_redirect_url_for_a_system_without_any_is_auth_00026(api, vendor, customer):
    system = f.make_system(vendor, "uten", redirect_urls=())
    body = {"systemId": system.system_id, "partyOrgNo": customer.orgno, "rights": [KRAV_READ]}
    assert_problem(
        api.post("systemuser/request/vendor", {**body, "redirectUrl": "https://vendor.example/callback"}),
        400,
        "AUTH-00026",
    )


def test_a_right_not_on_the_system_is_auth_00001(api, body):
    other = {"action": "write", "resource": [{"id": RES, "value": "ske-krav-og-betalinger"}]}
    assert_problem(api.post("systemuser/request/vendor", {**body, "rights": [other]}), 400, "AUTH-00001")


def test_a_right_with_another_attribute_is_auth_00001(api, body):
    odd = {"action": "read", "resource": [{"id": "urn:altinn:app", "value": "ske-krav-og-betalinger"}]}
    assert_problem(api.post("systemuser/request/vendor", {**body, "rights": [odd]}), 400, "AUTH-00001")


def test_the_same_resource_twice_in_one_right_is_that_one_right(api, body):
    # As when the system is registered (registry/wire.py): Altinn's example for PUT …/rights does this,
    # and a vendor copies its system's rights into its requests. This used to be AUTH-00001 here.
    attribute = {"id": RES, "value": "ske-krav-og-betalinger"}
    response = api.post(
        "systemuser/request/vendor", {**body, "rights": [{"action": "read", "resource": [attribute] * 2}]}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["rights"] == [KRAV_READ]


def test_two_different_resources_in_one_right_are_auth_00001(api, body):
    both = [{"id": RES, "value": "ske-krav-og-betalinger"}, {"id": RES, "value": "ske-mva-melding"}]
    response = api.post("systemuser/request/vendor", {**body, "rights": [{"action": "read", "resource": both}]})
    assert_problem(response, 400, "AUTH-00001")


def test_a_right_asked_twice_is_asked_once(api, body):
    response = api.post("systemuser/request/vendor", {**body, "rights": [KRAV_READ, KRAV_READ]})
    assert response.status_code == 201 and response.json()["rights"] == [KRAV_READ]


def test_a_package_not_on_the_system_is_auth_00063(api, body):
    assert_problem(api.post("systemuser/request/vendor", {**body, "accessPackages": [pkg("lonn")]}), 400, "AUTH-00063")


@pytest.mark.parametrize("urn", ["skatt-naering", "urn:altinn:accesspackage:", "urn:altinn:resource:skatt-naering"])
def test_a_package_that_is_not_a_package_urn_is_auth_00063_naming_it(api, body, urn):
    response = api.post("systemuser/request/vendor", {**body, "accessPackages": [{"urn": urn}]})
    assert urn in assert_problem(response, 400, "AUTH-00063")["detail"]


def test_a_client_package_on_a_standard_request_is_auth_00064(api, agent_system, customer):
    body = {
        "systemId": agent_system.system_id,
        "partyOrgNo": customer.orgno,
        "accessPackages": [pkg("regnskapsforer-lonn")],
    }
    assert_problem(api.post("systemuser/request/vendor", body), 400, "AUTH-00064")


def test_a_package_that_is_not_delegable_on_an_agent_request_is_auth_00065(api, agent_system, customer):
    body = {"systemId": agent_system.system_id, "partyOrgNo": customer.orgno, "accessPackages": [pkg("eksplisitt")]}
    assert_problem(api.post("systemuser/request/vendor/agent", body), 400, "AUTH-00065")


def test_rights_on_an_agent_request_are_auth_00058(api, agent_system, customer):
    body = {
        "systemId": agent_system.system_id,
        "partyOrgNo": customer.orgno,
        "accessPackages": [pkg("regnskapsforer-lonn")],
        "rights": [KRAV_READ],
    }
    assert_problem(api.post("systemuser/request/vendor/agent", body), 400, "AUTH-00058")


def test_an_agent_request_without_packages_is_auth_00058(api, agent_system, customer):
    body = {"systemId": agent_system.system_id, "partyOrgNo": customer.orgno}
    assert_problem(api.post("systemuser/request/vendor/agent", body), 400, "AUTH-00058")


def test_a_standard_request_without_rights_or_packages_is_auth_00059(api, body):
    assert_problem(api.post("systemuser/request/vendor", {**body, "rights": []}), 400, "AUTH-00059")
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"systemId": None},
        {"partyOrgNo": 310000001},
        {"rights": "ske-krav-og-betalinger"},
        {"accessPackages": [{"urn": 5}]},
        {"externalRef": ["a"]},
        {"integrationTitle": "x" * 201},
    ],
)
def test_wrong_types_are_validation_errors(api, body, overrides):
    assert_problem(api.post("systemuser/request/vendor", {**body, **overrides}), 400, "STD-00000")
    assert not Request.objects.exists()


def test_mass_assignment_of_status_and_escalated_is_ignored(api, body):
    data = api.post("systemuser/request/vendor", {**body, "status": "Accepted", "escalated": True, "id": "x"}).json()
    assert data["status"] == "New"
    assert data["escalated"] is False
    assert Request.objects.get().status == RequestStatus.NEW


def test_case_insensitive_field_names(api, system, customer):
    response = api.post(
        "systemuser/request/vendor",
        {
            "SYSTEMID": system.system_id,
            "partyorgno": customer.orgno,
            "Rights": [{"Resource": [{"ID": RES, "VALUE": "ske-krav-og-betalinger"}], "ACTION": "read"}],
        },
    )
    assert response.status_code == 201, response.json()


# --- reading and deleting --------------------------------------------------------------------------------


def test_another_vendor_can_not_see_or_delete_the_request(api, other_api, body, system, customer):
    request_id = api.post("systemuser/request/vendor", body).json()["id"]
    assert_problem(other_api.get(f"systemuser/request/vendor/{request_id}"), 404, "AUTH-00010")
    assert_problem(other_api.delete(f"systemuser/request/vendor/{request_id}"), 404, "AUTH-00010")
    path = f"systemuser/request/vendor/byexternalref/{system.system_id}/{customer.orgno}/{customer.orgno}"
    assert_problem(other_api.get(path), 404, "AUTH-00011")
    assert_problem(other_api.get(f"systemuser/request/vendor/bysystem/{system.system_id}"), 404, "AUTH-00011")
    assert not Request.objects.get(pk=request_id).is_deleted


def test_a_malformed_request_id_is_not_found(api):
    assert_problem(api.get("systemuser/request/vendor/not-a-uuid"), 404, "AUTH-00010")


def test_the_vendor_finds_its_request_by_external_ref(api, body, system, customer):
    request_id = api.post("systemuser/request/vendor", {**body, "externalRef": "lager"}).json()["id"]
    path = f"systemuser/request/vendor/byexternalref/{system.system_id}/{customer.orgno}/lager"
    assert api.get(path).json()["id"] == request_id
    assert_problem(api.get(path.replace("/lager", "/annet")), 404, "AUTH-00010")


def test_the_vendor_deletes_its_own_request(api, body):
    request_id = api.post("systemuser/request/vendor", body).json()["id"]
    assert api.delete(f"systemuser/request/vendor/{request_id}").status_code == 202
    assert Request.objects.get(pk=request_id).is_deleted
    assert_problem(api.get(f"systemuser/request/vendor/{request_id}"), 404, "AUTH-00010")
    assert_problem(api.delete(f"systemuser/request/vendor/{request_id}"), 404, "AUTH-00010")
    assert AuditEvent.objects.filter(action="request.deleted").count() == 1
    # Deleted, the triple is free again.
    assert api.post("systemuser/request/vendor", body).status_code == 201


def test_requests_of_a_system_come_in_pages_of_50(api, system, django_assert_max_num_queries):
    for _ in range(55):
        Request.objects.create(system=system, party=f.make_org(), external_ref="x", rights=[])
    with django_assert_max_num_queries(6):
        first = api.get(f"systemuser/request/vendor/bysystem/{system.system_id}").json()
    assert len(first["data"]) == 50
    assert first["links"]["next"].startswith("http://testserver/authentication/api/v1/")
    token = first["links"]["next"].split("token=")[1]
    second = api.get(f"systemuser/request/vendor/bysystem/{system.system_id}", token=token).json()
    assert len(second["data"]) == 5
    assert second["links"]["next"] is None
    ids = [r["id"] for r in first["data"] + second["data"]]
    assert len(set(ids)) == 55


def test_a_tampered_continuation_token_is_refused(api, system):
    response = api.get(f"systemuser/request/vendor/bysystem/{system.system_id}", token="Zm9vOmJhcg==")
    assert validation_codes(response) == ["STD.VLD-00001"]


def test_reading_needs_the_read_scope_and_writing_the_write_scope(api_as, vendor, body):
    reader, writer = api_as(vendor, REQUEST_READ), api_as(vendor, REQUEST_WRITE)
    assert_problem(reader.post("systemuser/request/vendor", body), 403, "HTTP-403")
    request_id = writer.post("systemuser/request/vendor", body).json()["id"]
    assert_problem(writer.get(f"systemuser/request/vendor/{request_id}"), 403, "HTTP-403")
    assert reader.get(f"systemuser/request/vendor/{request_id}").status_code == 200
    assert_problem(reader.delete(f"systemuser/request/vendor/{request_id}"), 403, "HTTP-403")


def test_times_are_utc(api, body):
    assert api.post("systemuser/request/vendor", body).json()["created"].endswith("Z")


def test_a_new_request_mails_the_customer_the_confirm_link_once(api, body, customer):
    from registry.models import Notification

    data = api.post("systemuser/request/vendor", body).json()
    api.post("systemuser/request/vendor", body)
    mail = Notification.objects.get(kind="request.created")
    assert mail.recipient == "post@bakeriet.example"
    assert data["confirmUrl"] in mail.body

"""System-user grants whose authorization_details are malformed (RFC 9396 → invalid_authorization_details)
or name no matching system user (→ invalid_altinn_customer_configuration, with the likely cause)."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from housekeeping import retention
from lib.identifiers import org_identifier
from registry.models import SystemClient, SystemUser
from tests import factories as f
from tests.maskinporten.helpers import assert_refused, good_claims, grant_setup, raw_jws, systemuser_details

TYPE = "urn:altinn:systemuser"


def post_details(client, setup, details):
    claims = good_claims(setup, authorization_details=details)
    return setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, claims))


def test_the_baseline_details_are_accepted(client, setup):
    assert post_details(client, setup, systemuser_details(setup.owner_orgno)).status_code == 200


def test_an_explicit_external_ref_equal_to_the_default_is_accepted(client, setup):
    details = systemuser_details(setup.owner_orgno, externalRef=setup.owner_orgno)
    assert post_details(client, setup, details).status_code == 200


def test_an_unknown_type_is_refused(client, setup):
    details = [{"type": "urn:altinn:enduser", "systemuser_org": org_identifier(setup.owner_orgno)}]
    assert_refused(post_details(client, setup, details), "invalid_authorization_details")


def test_a_missing_type_is_refused(client, setup):
    details = [{"systemuser_org": org_identifier(setup.owner_orgno)}]
    assert_refused(post_details(client, setup, details), "invalid_authorization_details")


def test_an_unknown_field_is_refused(client, setup):
    details = systemuser_details(setup.owner_orgno, locations=["https://api.example"])
    body = assert_refused(post_details(client, setup, details), "invalid_authorization_details")
    assert "locations" in body["error_description"]


ORG = {"authority": "iso6523-actorid-upis", "ID": "0192:310000001"}


@pytest.mark.parametrize(
    "details, description",
    [
        ({"type": TYPE}, "authorization_details must be a JSON array"),
        ("urn:altinn:systemuser", "authorization_details must be a JSON array"),
        ([], "authorization_details must have exactly one entry (one organisation)"),
        (["urn:altinn:systemuser"], "authorization_details entry must be a JSON object"),
        ([{"type": TYPE, "Type": TYPE, "systemuser_org": ORG}], "authorization_details entry has the same field twice"),
        ([{"systemuser_org": ORG}], "type is missing"),
        ([{"type": 1, "systemuser_org": {}}], "type must be a string"),
        (
            [{"type": "x" * 150, "systemuser_org": ORG}],
            f"unknown type {'x' * 100!r}; only urn:altinn:systemuser is supported",
        ),
        ([{"type": TYPE, "systemuser_org": ORG, "b": 1, "a": 2}], "unknown field: a, b"),
        ([{"type": TYPE, "systemuser_org": ORG, "z" * 250: 1}], "unknown field: " + "z" * 200),
        ([{"type": TYPE}], "systemuser_org is missing"),
        ([{"type": TYPE, "systemuser_org": "0192:310000001"}], "systemuser_org must be a JSON object"),
        ([{"type": TYPE, "systemuser_org": None}], "systemuser_org must be a JSON object"),
        (
            [{"type": TYPE, "systemuser_org": {"ID": "0192:310000001"}}],
            "systemuser_org must have exactly the fields authority and ID",
        ),
        (
            [{"type": TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": 310000001}}],
            "systemuser_org.authority and systemuser_org.ID must be strings",
        ),
        (
            [{"type": TYPE, "systemuser_org": {"authority": "other", "ID": "0192:310000001"}}],
            "systemuser_org.authority must be iso6523-actorid-upis",
        ),
        (
            [{"type": TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:0192:310000001"}}],
            "systemuser_org.ID is not a valid organisation number (9 digits, mod-11)",
        ),
        (
            [{"type": TYPE, "systemuser_org": {**ORG, "ID": "0192:974761076"}, "externalRef": 7}],
            "externalRef must be a string",
        ),
    ],
)
def test_wrong_json_types_and_missing_fields_are_refused_and_say_what_is_wrong(client, setup, details, description):
    body = assert_refused(post_details(client, setup, details), "invalid_authorization_details")
    assert body["error_description"] == description


@pytest.mark.parametrize("length", [1, 200])
def test_an_external_ref_of_1_to_200_characters_is_read(client, setup, length):
    """Well formed, it is looked up: no system user has it (a customer configuration error)."""
    details = systemuser_details(setup.owner_orgno, externalRef="r" * length)
    assert_refused(post_details(client, setup, details), "invalid_altinn_customer_configuration")


@pytest.mark.parametrize("external_ref", [123, None, "", ["a"], "x" * 201])
def test_a_malformed_external_ref_is_refused(client, setup, external_ref):
    details = systemuser_details(setup.owner_orgno, externalRef=external_ref)
    assert_refused(post_details(client, setup, details), "invalid_authorization_details")


def test_the_9908_prefix_is_refused(client, setup):
    details = [
        {"type": TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"9908:{setup.owner_orgno}"}}
    ]
    body = assert_refused(post_details(client, setup, details), "invalid_authorization_details")
    assert "0192" in body["error_description"]


@pytest.mark.parametrize("orgno", ["310000002", "31000000", "3100000011", "abcdefghi", ""])
def test_a_bad_organisation_number_is_refused(client, setup, orgno):
    details = [{"type": TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{orgno}"}}]
    assert_refused(post_details(client, setup, details), "invalid_authorization_details")


def test_two_entries_are_refused(client, setup, other_vendor):
    details = systemuser_details(setup.owner_orgno) + systemuser_details(other_vendor.orgno)
    assert_refused(post_details(client, setup, details), "invalid_authorization_details")


def test_a_deleted_system_user_gets_no_token(client, setup):
    SystemUser.objects.filter(pk=setup.system_user.pk).update(is_deleted=True, deleted_at=timezone.now())
    body = assert_refused(
        post_details(client, setup, systemuser_details(setup.owner_orgno)), "invalid_altinn_customer_configuration"
    )
    assert "deleted" in body["error_description"]


def test_a_purged_system_user_gets_no_token(client, setup, settings):
    # Soft-deleted long enough ago that data retention removed the row (housekeeping/retention.py).
    days = settings.RETENTION_DELETED_SYSTEM_USER_DAYS + 1
    SystemUser.objects.filter(pk=setup.system_user.pk).update(
        is_deleted=True, deleted_at=timezone.now() - timedelta(days=days)
    )
    assert retention.delete_deleted_system_users().count == 1
    body = assert_refused(
        post_details(client, setup, systemuser_details(setup.owner_orgno)), "invalid_altinn_customer_configuration"
    )
    assert "has no system user" in body["error_description"]


def test_a_system_user_of_another_org_is_not_found(client, setup, accounting_firm):
    body = assert_refused(
        post_details(client, setup, systemuser_details(accounting_firm.orgno)), "invalid_altinn_customer_configuration"
    )
    assert accounting_firm.orgno in body["error_description"]


def test_a_valid_but_unknown_org_number_is_a_customer_configuration_error(client, setup):
    unknown = f.make_orgno("99999999") or f.make_orgno("99999998")
    body = assert_refused(
        post_details(client, setup, systemuser_details(unknown)), "invalid_altinn_customer_configuration"
    )
    assert "not known" in body["error_description"]


def test_a_client_id_not_on_the_system_gets_no_token(client, setup):
    SystemClient.objects.filter(client_id=setup.client.client_id).delete()
    body = assert_refused(
        post_details(client, setup, systemuser_details(setup.owner_orgno)), "invalid_altinn_customer_configuration"
    )
    assert "clientId" in body["error_description"]


def test_a_client_of_another_vendor_gets_no_token(client, vendor, other_vendor, customer, system):
    # The other vendor registers a client under the id that the system lists: still no token.
    setup = grant_setup(other_vendor, customer, system)
    body = assert_refused(
        post_details(client, setup, systemuser_details(customer.orgno)), "invalid_altinn_customer_configuration"
    )
    assert "another vendor" in body["error_description"]


def test_a_wrong_external_ref_gets_no_token(client, setup):
    details = systemuser_details(setup.owner_orgno, externalRef="avdeling-2")
    body = assert_refused(post_details(client, setup, details), "invalid_altinn_customer_configuration")
    assert "avdeling-2" in body["error_description"]


def test_a_system_user_of_a_deleted_system_gets_no_token(client, setup, system):
    system.is_deleted = True
    system.save(update_fields=["is_deleted"])
    SystemClient.objects.filter(system=system).delete()
    assert_refused(
        post_details(client, setup, systemuser_details(setup.owner_orgno)), "invalid_altinn_customer_configuration"
    )


def test_an_agent_system_user_is_found_through_its_facilitator(client, vendor, accounting_firm, system):
    setup = grant_setup(vendor, accounting_firm, system)
    SystemUser.objects.filter(pk=setup.system_user.pk).update(user_type="agent")
    response = post_details(client, setup, systemuser_details(accounting_firm.orgno))
    assert response.status_code == 200
    assert response.json()["authorization_details"][0]["systemuser_id"] == [str(setup.system_user.id)]


@pytest.mark.parametrize("signed_by_the_client", [False, True])
def test_malformed_details_are_told_only_after_the_signature_and_claims(client, setup, signed_by_the_client):
    # The details are parsed before the one database read (which also finds the system user); a forger,
    # or a grant with another bad claim, still learns only that much, in the same order as before.
    details = [{"type": TYPE, "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:123"}}]
    claims = good_claims(setup, authorization_details=details, scope="altinn:not-allowed")
    key = None if signed_by_the_client else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = setup.post(client, raw_jws({"alg": "RS256", "kid": setup.kid}, claims, key=key))
    if signed_by_the_client:
        assert_refused(response, "invalid_scope")
    else:
        assert_refused(response, "invalid_grant", "Invalid assertion")

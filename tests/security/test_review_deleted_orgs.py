"""Security review: an organisation that is deleted from the register gets no more tokens.

The PDP already answered NotApplicable for a system user whose owner is deleted, and the token
endpoint's own error text said "Organisation … is not known here" — yet the look-up did not check the
owner, so a struck-off organisation's system user kept getting tokens, as did a deleted vendor's
clients. A resource owner that trusts the token alone (its `systemuser_org`) would have let it in.
"""

import pytest

from registry.models import Organisation
from tests.api.conftest import Api
from tests.maskinporten.helpers import assert_refused, bearer_for


def delete(org):
    Organisation.objects.filter(pk=org.pk).update(is_deleted=True)


def test_a_system_user_of_a_deleted_organisation_gets_no_token(client, setup, customer):
    delete(customer)
    body = assert_refused(setup.post(client, setup.grant()), "invalid_altinn_customer_configuration")
    assert customer.orgno in body["error_description"] and "not known" in body["error_description"]


def test_an_agent_system_user_of_a_deleted_facilitator_gets_no_token(client, setup, accounting_firm, system):
    from tests.factories import make_agent_system_user

    make_agent_system_user(accounting_firm, system, ["regnskapsforer-lonn"])
    delete(accounting_firm)
    grant = setup.grant(
        details=[
            {
                "type": "urn:altinn:systemuser",
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{accounting_firm.orgno}"},
            }
        ]
    )
    assert_refused(setup.post(client, grant), "invalid_altinn_customer_configuration")


@pytest.mark.parametrize("details", [True, False], ids=["system-user grant", "plain grant"])
def test_a_client_of_a_deleted_vendor_gets_no_token(client, setup, vendor, details):
    delete(vendor)
    assert_refused(setup.post(client, setup.grant(details=details)), "invalid_grant", "Client not found")


def test_the_maskinporten_look_up_does_not_find_a_deleted_organisations_system_user(client, setup, vendor, customer):
    api = Api(client, bearer_for(vendor, "altinn:maskinporten/systemuser.read"))
    params = {
        "clientId": setup.client.client_id,
        "systemProviderOrgNo": vendor.orgno,
        "systemUserOwnerOrgNo": customer.orgno,
    }
    assert api.get("systemuser/byExternalId", **params).status_code == 200
    delete(customer)
    assert api.get("systemuser/byExternalId", **params).status_code == 404

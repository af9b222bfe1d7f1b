"""The demo API provider wired as `python -m demo.provider` wires it: everything over real HTTP against
a running server — its own PDP token from /token, the JWKS from /jwk, the decision from the PDP."""

import pytest

from demo.maskinporten_client import HttpError, TokenClient, http_json
from demo.provider import API_SCOPE
from tests import factories as f
from tests.authorization.conftest import make_system_user
from tests.maskinporten.helpers import client_private_key, make_client


@pytest.fixture
def vendor_tokens(server, vendor, system):
    """The vendor's program: a client registered on its system, getting tokens from /token."""
    client, kid = make_client(vendor, API_SCOPE, client_id="client-fakturering")
    return TokenClient(server, client.client_id, kid, client_private_key())


def test_a_system_user_token_from_the_token_endpoint_reads_the_claims(demo_api, vendor_tokens, customer, system):
    make_system_user(customer, system, packages=["skatt-naering"])
    token = vendor_tokens.token(API_SCOPE, systemuser_org=customer.orgno)
    status, body = http_json("GET", f"{demo_api}/krav-og-betalinger/{customer.orgno}", token=token)
    assert status == 200
    assert body["organisasjonsnummer"] == customer.orgno


def test_the_same_token_is_forbidden_for_another_organisation(demo_api, vendor_tokens, customer, system):
    make_system_user(customer, system, packages=["skatt-naering"])
    other = f.make_org("Naboen AS")
    token = vendor_tokens.token(API_SCOPE, systemuser_org=customer.orgno)
    with pytest.raises(HttpError) as refused:
        http_json("GET", f"{demo_api}/krav-og-betalinger/{other.orgno}", token=token)
    assert refused.value.status == 403
    assert refused.value.body["decision"] == "NotApplicable"


def test_a_system_user_without_the_needed_package_is_forbidden(demo_api, vendor_tokens, customer, system):
    make_system_user(customer, system, packages=["merverdiavgift"])
    token = vendor_tokens.token(API_SCOPE, systemuser_org=customer.orgno)
    with pytest.raises(HttpError) as refused:
        http_json("GET", f"{demo_api}/krav-og-betalinger/{customer.orgno}", token=token)
    assert (refused.value.status, refused.value.body["error"]) == (403, "access_denied")

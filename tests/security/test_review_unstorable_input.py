"""Security review: a NUL in a query parameter or path is a 400 in the route's own format, never a 500.

PostgreSQL stores no NUL, so a value with one that reached a query made the database raise and the
caller get a 500 (the vendor API already refused them; these routes did not).
"""

import pytest
from django.test import Client

from tests.api.conftest import Api
from tests.maskinporten.helpers import bearer_for


@pytest.fixture
def http():
    return Client(raise_request_exception=False)  # a 500 must show as the response a caller gets


@pytest.mark.parametrize("param", ["clientId", "externalRef"])
def test_the_maskinporten_look_up_refuses_a_nul(http, vendor, customer, param):
    api = Api(http, bearer_for(vendor, "altinn:maskinporten/systemuser.read"))
    params = {"clientId": "c", "systemProviderOrgNo": vendor.orgno, "systemUserOwnerOrgNo": customer.orgno}
    response = api.get("systemuser/byExternalId", **(params | {param: "a\x00b"}))
    assert response.status_code == 400, response.content[:200]
    assert response.json()["validationErrors"][0]["paths"] == [f"/{param.lower()}"]

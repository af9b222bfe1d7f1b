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


@pytest.fixture
def pages(http, manager, customer, system):
    """(method, url, data) of every portal page that reads a parameter into a query."""
    from registry.models import SystemUserPackage
    from tests.factories import delegate_package, make_agent_system_user
    from tests.portal.systemusers_helpers import make_system_user

    standard = make_system_user(manager, customer, system)
    delegate_package("klientadministrator", from_org=customer, to=manager)
    agent = make_agent_system_user(customer, system, ["regnskapsforer-lonn"], external_ref="agent")
    assert SystemUserPackage.objects.filter(system_user=agent).exists()
    return [
        ("get", "/actor/", {"q": "a\x00b"}),
        ("get", "/systemuser/", {"q": "\x00"}),
        ("get", "/systemuser/new/", {"q": "a\x00b"}),
        ("post", f"/systemuser/{standard.pk}/revoke/package/", {"package": "a\x00b"}),
        ("post", f"/systemuser/{standard.pk}/revoke/right/", {"resource": "a\x00b", "action": "read"}),
        ("get", f"/systemuser/{agent.pk}/clients/", {"q": "a\x00b"}),
        ("post", f"/systemuser/{agent.pk}/clients/a%00b/remove/", {}),
        ("get", f"/systemuser/{agent.pk}/clients/a%00b/remove/", {}),
        ("post", "/actor/", {"orgno": customer.orgno, "next\x00": "/"}),
    ]


def test_portal_pages_refuse_a_nul_with_the_400_page(http, pages, manager, customer, system):
    from registry.models import AuditEvent, SystemUserPackage, SystemUserRight
    from tests.portal.systemusers_helpers import act_for

    act_for(http, manager, customer)
    events = AuditEvent.objects.count()
    for method, url, data in pages:
        response = getattr(http, method)(url, data)
        assert response.status_code == 400, (url, response.status_code)
        assert "Ugyldig forespørsel" in response.content.decode()
    assert AuditEvent.objects.count() == events
    assert SystemUserPackage.objects.count() == 2 and SystemUserRight.objects.count() == 1

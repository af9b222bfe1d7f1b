"""A vendor's standard request to the customer, as the vendor API would create it."""

import pytest

from approvals.models import Request, RequestKind


def make_request(system, party, **fields) -> Request:
    values = {
        "system": system,
        "party": party,
        "external_ref": party.orgno,
        "integration_title": "Fakturering for bakeriet",
        "rights": [{"resource": "ske-krav-og-betalinger", "action": "read"}],
        "access_packages": ["skatt-naering"],
        "redirect_url": "https://vendor.example/callback?state=42",
    }
    values.update(fields)
    return Request.objects.create(**values)


@pytest.fixture
def vendor_request(system, customer):
    return make_request(system, customer)


@pytest.fixture
def agent_request(system, customer):
    from registry.models import SystemPackage

    SystemPackage.objects.create(system=system, package_id="regnskapsforer-med-signeringsrettighet")
    return make_request(
        system, customer, kind=RequestKind.AGENT, rights=[], access_packages=["regnskapsforer-med-signeringsrettighet"]
    )

"""Rows for decision tests: a standard system user of the customer, an agent system user of the
accounting firm with the customer as client (made directly, as client delegation would make them)."""

import pytest

from registry.models import ClientDelegation, SystemUser, SystemUserPackage, SystemUserRight, SystemUserType
from tests import factories as f


def make_system_user(owner, system, *, packages=(), rights=(), user_type=SystemUserType.STANDARD) -> SystemUser:
    system_user = SystemUser.objects.create(
        integration_title="Fakturering", owner=owner, system=system, user_type=user_type, external_ref=owner.orgno
    )
    SystemUserPackage.objects.bulk_create([SystemUserPackage(system_user=system_user, package_id=p) for p in packages])
    SystemUserRight.objects.bulk_create(
        [SystemUserRight(system_user=system_user, resource_id=r, action=a) for r, a in rights]
    )
    return system_user


@pytest.fixture
def standard_user(customer, system):
    """Holds skatt-naering (read on ske-krav-og-betalinger) and a single right: write on A-melding."""
    return make_system_user(
        customer, system, packages=["skatt-naering"], rights=[("ske-innrapportering-a-melding", "write")]
    )


@pytest.fixture
def agent_user(accounting_firm, customer, vendor):
    """The accounting firm is the customer's REGN and serves it through an agent system user."""
    f.give_role(accounting_firm, "REGN", customer)
    agent_system = f.make_system(vendor, "regnskapsbyraa", packages=["regnskapsforer-med-signeringsrettighet"])
    system_user = make_system_user(
        accounting_firm,
        agent_system,
        packages=["regnskapsforer-med-signeringsrettighet"],
        user_type=SystemUserType.AGENT,
    )
    ClientDelegation.objects.create(
        system_user=system_user, client=customer, role_code="REGN", packages=["regnskapsforer-med-signeringsrettighet"]
    )
    return system_user

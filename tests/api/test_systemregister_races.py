"""A vendor's program that sends the same change of its system twice at once (a retry while the first is
still running) gets the same answer twice: the system's rows are replaced one writer at a time.

Real threads, each with its own connection, truly racing: PostgreSQL only (tests/races.py); CI runs it.
"""

import pytest

from registry.models import RegisteredSystem
from registry.services import systems
from tests.races import race

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

RIGHTS = [
    {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-mva-melding"}]},
    {"action": "write", "resource": [{"id": "urn:altinn:resource", "value": "ske-mva-melding"}]},
]
PACKAGES = ["urn:altinn:accesspackage:merverdiavgift", "urn:altinn:accesspackage:lonn"]


def _actor(system: RegisteredSystem) -> str:
    return f"vendor:{system.vendor.orgno}"


def test_the_same_rights_sent_four_times_at_once_are_replaced_each_time(system):
    put = lambda: systems.replace_rights(system=system, rights=RIGHTS, actor=_actor(system))  # noqa: E731
    assert race([put] * 4) == [None] * 4
    assert sorted((r.resource_id, r.action) for r in system.rights.all()) == [
        ("ske-mva-melding", "read"),
        ("ske-mva-melding", "write"),
    ]


def test_the_same_packages_sent_four_times_at_once_are_replaced_each_time(system):
    put = lambda: systems.replace_packages(system=system, urns=PACKAGES, actor=_actor(system))  # noqa: E731
    assert race([put] * 4) == [None] * 4
    assert sorted(systems.package_urns_of(system)) == sorted(PACKAGES)


def test_the_whole_system_sent_four_times_at_once_with_a_new_client_id_is_taken_each_time(system):
    """Not 'a client id is used by another system': the only system using it is this one."""
    spec = systems.SystemSpec(
        id=system.system_id,
        vendor_orgno=system.vendor.orgno,
        name={"nb": "Fakturering 2"},
        rights=RIGHTS,
        access_packages=PACKAGES,
        client_ids=["client-fakturering", "client-fakturering-2"],
    )
    put = lambda: systems.update_system(system=system, spec=spec, actor=_actor(system)).pk  # noqa: E731
    assert race([put] * 4) == [system.pk] * 4
    assert list(system.clients.order_by("id").values_list("client_id", flat=True)) == spec.client_ids

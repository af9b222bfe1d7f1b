"""The fault suite's data (runs inside Django, with the suite's environment): a vendor with a system and
a token client, customers whose manager approves requests, a system user per customer for token grants,
an API owner's client for the PDP, and a staff account. Prints what the load needs as JSON."""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from maskinporten.clients import register_client  # noqa: E402
from registry.models import SystemUser, SystemUserRight  # noqa: E402
from tests import factories as f  # noqa: E402

CUSTOMERS = 20
VENDOR_SCOPES = [
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
    "altinn:faults/krav.read",
]
PDP_SCOPE = "altinn:authorization/authorize"
STAFF_PASSWORD = "faults-only staff password 7f3a"


def main(vendor_key_file: str, api_owner_key_file: str) -> None:
    public_pem = Path(vendor_key_file).read_text()
    vendor = f.make_org("Feilsikker Programvare AS", email="varsel@feilsikker.example")
    system = f.make_system(vendor, "faktura", client_ids=["faults-vendor"])
    register_client(
        owner=vendor, scopes=VENDOR_SCOPES, public_key=public_pem, client_id="faults-vendor", actor="faults"
    )
    api_owner = f.make_org("Skatteetaten Test")
    register_client(
        owner=api_owner,
        scopes=[PDP_SCOPE],
        public_key=Path(api_owner_key_file).read_text(),
        client_id="faults-pdp",
        actor="faults",
    )
    manager = f.make_person("Mona Manager")
    customers, system_users = [], []
    for i in range(CUSTOMERS):
        customer = f.make_org(f"Kunde {i} AS")
        f.give_role(manager, "DAGL", customer)
        system_user = SystemUser.objects.create(
            integration_title="Faktura", owner=customer, system=system, external_ref=customer.orgno
        )
        SystemUserRight.objects.create(system_user=system_user, resource_id="ske-krav-og-betalinger", action="read")
        customers.append(customer.orgno)
        system_users.append(str(system_user.pk))
    get_user_model().objects.create_user("drift", password=STAFF_PASSWORD, is_staff=True, is_superuser=True)
    print(
        json.dumps(
            {
                "vendor": vendor.orgno,
                "system_id": system.system_id,
                "customers": customers,
                "system_users": system_users,
                "manager_pid": manager.pid,
                "staff": ["drift", STAFF_PASSWORD],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

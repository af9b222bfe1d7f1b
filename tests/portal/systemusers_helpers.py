"""Helpers for the system-access page tests: log a person in acting for an organisation."""

from django.contrib.auth import get_user_model

from portal.middleware import ACTOR_SESSION_KEY
from registry.models import SystemUser, SystemUserType
from registry.services.system_users import create_system_user
from tests import factories as f

HTMX = {"HTTP_HX_REQUEST": "true"}


def act_for(client, person, org):
    if person.user_id is None:
        person.user = get_user_model().objects.create(username=f"pid:{person.pid}")
        person.save(update_fields=["user"])
    client.force_login(person.user)
    session = client.session
    session[ACTOR_SESSION_KEY] = org.orgno
    session.save()
    return client


def make_system_user(by, party, system, **kwargs):
    args = {"packages": ["skatt-naering"], "rights": [{"resource": "ske-krav-og-betalinger", "action": "read"}]}
    return create_system_user(by=by, party=party, system=system, **(args | kwargs))


def make_many(manager, owner, vendor, n: int, *, prefix: str = "sys", user_type=SystemUserType.STANDARD, title=None):
    """`n` system accesses, each for its own system named `<prefix><nnn>`, made directly (fast)."""
    for i in range(n):
        system = f.make_system(vendor, f"{prefix}{i:03d}", rights=[])
        SystemUser.objects.create(
            integration_title=title or f"{prefix}{i:03d}",
            owner=owner,
            system=system,
            external_ref=owner.orgno,
            created_by=manager,
            user_type=user_type,
        )

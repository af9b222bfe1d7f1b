"""Creating system users: one function for vendor-request approval and end-user-driven creation."""

import uuid

from django.db import IntegrityError, transaction

from lib.errors import ServiceError
from registry import access
from registry.models import (
    AccessPackage,
    Organisation,
    Person,
    RegisteredSystem,
    SystemRight,
    SystemUser,
    SystemUserType,
)
from registry.services.grants import Grants, change_grants
from registry.wire import normalize_rights


def check_against_system(system: RegisteredSystem, *, packages: list[str], rights: list[dict], user_type: str) -> None:
    """Packages and rights must be on the system now, and packages fit the system-user type.

    Raises AUTH-00001 (right not on the system), AUTH-00063 (package not on the system),
    AUTH-00064 (not assignable to a standard system user), AUTH-00065 (not delegable, agent).
    """
    system_rights = set(SystemRight.objects.filter(system=system).values_list("resource_id", "action"))
    missing = [r for r in rights if (r["resource"], r.get("action") or "") not in system_rights]
    if missing:
        items = [f"{r['resource']}:{r.get('action') or '*'}" for r in missing]
        raise ServiceError("AUTH-00001", "The system does not have these rights: " + ", ".join(items), items=items)
    on_system = set(system.packages.values_list("package_id", flat=True))
    not_on = [p for p in packages if p not in on_system]
    if not_on:
        raise ServiceError("AUTH-00063", "The system does not have these packages: " + ", ".join(not_on), items=not_on)
    found = {p.code: p for p in AccessPackage.objects.filter(code__in=packages)}
    if user_type == SystemUserType.STANDARD:
        bad = [p for p in packages if not found[p].assignable]
        if bad:
            raise ServiceError(
                "AUTH-00064", "Packages not assignable to a standard system user: " + ", ".join(bad), items=bad
            )
    else:
        bad = [p for p in packages if not found[p].delegable]
        if bad:
            raise ServiceError(
                "AUTH-00065", "Packages not delegable to an agent system user: " + ", ".join(bad), items=bad
            )


def live_system_user_exists(party: Organisation, system: RegisteredSystem, external_ref: str) -> bool:
    return SystemUser.objects.live().filter(owner=party, system=system, external_ref=external_ref).exists()


@transaction.atomic
def create_system_user(
    *,
    by: Person,
    party: Organisation,
    system: RegisteredSystem,
    packages: list[str],
    rights: list[dict],
    external_ref: str | None = None,
    integration_title: str = "",
    user_type: str = SystemUserType.STANDARD,
    system_user_id: uuid.UUID | None = None,
    ip: str | None = None,
) -> SystemUser:
    """Create a system user for `party`, delegating the packages and rights, as person `by`.

    Checks, in order: access manager for the party (AUTH-00066), the system is live (AUTH-00011),
    no live system user for (party, system, externalRef) (AUTH-00004), packages and rights against the
    system's *current* rights, and the delegation check (AUTH-00053, naming each item and why).
    Used by approving a vendor request (with the request's id) and by end-user-driven creation.
    """
    if not access.is_access_manager(by, party):
        raise ServiceError("AUTH-00066", "You are not access manager for this organisation", status=403)
    if system.is_deleted:
        raise ServiceError("AUTH-00011", "The system is not in the system register", status=404)
    external_ref = external_ref or party.orgno
    if live_system_user_exists(party, system, external_ref):
        raise ServiceError("AUTH-00004", "A system access already exists for this system and organisation")
    rights = normalize_rights(rights)
    packages = sorted(set(packages))
    check_against_system(system, packages=packages, rights=rights, user_type=user_type)
    if user_type == SystemUserType.STANDARD:
        failures = access.delegation_check(by, party, packages=packages, rights=rights)
    else:
        failures = []  # an agent system user gets its rights per client, through client delegation
    if failures:
        raise ServiceError(
            "AUTH-00053",
            "You may not delegate: " + ", ".join(f"{x.item} ({x.reason})" for x in failures),
            items=failures,
        )
    try:
        with transaction.atomic():
            system_user = SystemUser.objects.create(
                id=system_user_id or uuid.uuid4(),
                integration_title=integration_title or system.display_name,
                owner=party,
                system=system,
                user_type=user_type,
                external_ref=external_ref,
                created_by=by,
            )
    except IntegrityError:
        # Lost a race with another creation for the same (party, system, externalRef).
        raise ServiceError("AUTH-00004", "A system access already exists for this system and organisation") from None
    data = {"system": system.system_id, "type": user_type, "packages": packages, "rights": rights}
    change_grants(system_user, add=Grants(packages, rights), action="systemuser.created", by=by, data=data, ip=ip)
    return system_user

"""A system user's grants (its access packages and single rights): the one write path.

Creating a system user, revoking one package or right, and approving a change request all add and
delete grant rows through `change_grants`, which writes the audit event on the system user in the same
transaction, and — when it removed any — the vendor event `no.systembruker.systemuser.access_revoked`.
Nothing else writes SystemUserPackage or SystemUserRight rows.

Deleting the rows is the compare-and-set: of two concurrent revokes of the same grant one deletes it,
the other removes nothing (and is refused when it asks to be), so there is one event.
"""

from dataclasses import dataclass, field

from django.db import transaction

from lib.errors import ServiceError
from registry import audit, events
from registry.models import AuditEvent, Person, SystemUser, SystemUserPackage, SystemUserRight
from registry.wire import normalize_rights, package_urn, wire_right


@dataclass(frozen=True)
class Grants:
    """Access package codes and single rights ({"resource", "action"}; "" = every action)."""

    packages: list[str] = field(default_factory=list)
    rights: list[dict] = field(default_factory=list)

    def normalized(self) -> "Grants":
        return Grants(sorted(set(self.packages)), normalize_rights(self.rights))

    def __bool__(self) -> bool:
        return bool(self.packages or self.rights)

    def as_data(self) -> dict:
        return {"packages": list(self.packages), "rights": list(self.rights)}


@dataclass(frozen=True)
class GrantChange:
    """What `change_grants` did: the grants it added (not held before) and removed (held before)."""

    added: Grants
    removed: Grants
    event: AuditEvent


@transaction.atomic
def change_grants(
    system_user: SystemUser,
    *,
    add: Grants = Grants(),  # noqa: B008 - frozen, never mutated
    remove: Grants = Grants(),  # noqa: B008
    action: str,
    by: Person | None,
    actor: str = "",
    ip: str | None = None,
    data: dict | None = None,
    refuse_if_unchanged: ServiceError | None = None,
) -> GrantChange:
    """Add the grants in `add` that the system user does not hold, delete those in `remove` it holds, and
    record the audit event `action` on it (`data` plus what was "added" and "removed").

    With `refuse_if_unchanged`, a call that adds and removes nothing raises it and records nothing.
    The caller checks authority and the system's rights first; this only writes.
    """
    add, remove = add.normalized(), remove.normalized()
    # One change of a system user's grants at a time: two at once (a double click on "add") would both
    # add what neither saw held. The later one waits here, then reads what the first committed.
    list(SystemUser.objects.select_for_update().filter(pk=system_user.pk).values_list("pk", flat=True))
    added = _add(system_user, add) if add else Grants()
    removed = _remove(system_user, remove) if remove else Grants()
    if refuse_if_unchanged is not None and not added and not removed:
        raise refuse_if_unchanged
    event = audit.on_system_user(
        action,
        system_user,
        by=by,
        actor=actor,
        data={**(data or {}), "added": added.as_data(), "removed": removed.as_data()},
        ip=ip,
    )
    if removed:
        events.on_system_user(
            events.SYSTEMUSER_ACCESS_REVOKED,
            system_user,
            accessPackages=[package_urn(code) for code in removed.packages],
            rights=[wire_right(r["resource"], r["action"]) for r in removed.rights],
            cause=action,
        )
    return GrantChange(added=added, removed=removed, event=event)


def _add(system_user: SystemUser, grants: Grants) -> Grants:
    held_packages = set(system_user.packages.values_list("package_id", flat=True))
    held_rights = set(system_user.rights.values_list("resource_id", "action"))
    packages = [p for p in grants.packages if p not in held_packages]
    rights = [r for r in grants.rights if (r["resource"], r["action"]) not in held_rights]
    SystemUserPackage.objects.bulk_create([SystemUserPackage(system_user=system_user, package_id=p) for p in packages])
    SystemUserRight.objects.bulk_create(
        [SystemUserRight(system_user=system_user, resource_id=r["resource"], action=r["action"]) for r in rights]
    )
    return Grants(packages, rights)


def _remove(system_user: SystemUser, grants: Grants) -> Grants:
    packages = [
        code
        for code in grants.packages
        if SystemUserPackage.objects.filter(system_user=system_user, package_id=code).delete()[0]
    ]
    rights = [
        r
        for r in grants.rights
        if SystemUserRight.objects.filter(
            system_user=system_user, resource_id=r["resource"], action=r["action"]
        ).delete()[0]
    ]
    return Grants(packages, rights)

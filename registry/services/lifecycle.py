"""Ending system users and their rights: delete, revoke a package, revoke a right.

Each takes effect at once: tokens and PDP decisions read the live rows. Each writes its audit event,
queues an e-mail to the system's vendor (outbox) and its vendor event (registry.events; a revocation's
by the grants write path) in the same transaction as the change.
"""

from django.db import transaction
from django.utils import timezone

from lib.errors import ServiceError
from registry import access, audit, events
from registry.emails import queue_email
from registry.models import AuditEvent, Person, SystemUser, SystemUserType
from registry.services.grants import Grants, change_grants


def _managed_system_user(system_user_id, by: Person | None) -> SystemUser:
    """The live system user, if `by` may manage it (None = operator staff, who may manage any).

    Another organisation's system user answers "not found", so its existence does not leak.
    """
    system_users = SystemUser.objects.select_related("owner", "system__vendor")
    return access.access_system_user(system_users, system_user_id, by, may=access.MANAGE)


def _tell_vendor(system_user: SystemUser, event: AuditEvent, **context) -> None:
    """The vendor's e-mail `registry/email/<event>.txt`, one per vendor address; keyed by the audit
    event, so each change is told once. A self-developed system's vendor is the owner itself, whose
    person made the change: no mail."""
    if system_user.system.is_self_developed:
        return
    queue_email(
        f"registry/email/{event.action.replace('.', '_')}.txt",
        {"system_user": system_user, "system": system_user.system, "party": system_user.owner, **context},
        system_user.system.vendor.emails,
        kind=event.action,
        object_id=f"{system_user.pk}/{event.pk}",
    )


@transaction.atomic
def delete_system_user(*, system_user_id, by: Person | None, actor: str = "", ip: str | None = None) -> SystemUser:
    """Soft-delete a system user (compare-and-set, so two deletes give one event and one e-mail).

    `by` is the person acting (must be access manager for the owner); None for operator staff, who
    pass `actor` (e.g. "staff:<username>").
    """
    system_user = _managed_system_user(system_user_id, by)
    changed = SystemUser.objects.filter(pk=system_user.pk, is_deleted=False).update(
        is_deleted=True, deleted_at=timezone.now()
    )
    if not changed:
        raise ServiceError("AUTH-00015", "System access is already deleted", status=404)
    event = audit.on_system_user(
        "systemuser.deleted", system_user, by=by, actor=actor, data={"system": system_user.system.system_id}, ip=ip
    )
    _tell_vendor(system_user, event)
    events.on_system_user(events.SYSTEMUSER_DELETED, system_user)
    system_user.refresh_from_db()
    return system_user


def _live_managed(system_user_id, by: Person | None) -> SystemUser:
    system_user = _managed_system_user(system_user_id, by)
    if system_user.is_deleted:
        raise access.system_user_not_found()
    if system_user.user_type != SystemUserType.STANDARD:
        # An agent system user's packages are what its clients delegate; they change by change request.
        raise ServiceError("STD-00000", "Packages of an agent system access cannot be revoked one by one")
    return system_user


@transaction.atomic
def revoke_package(
    *, system_user_id, package: str, by: Person | None, actor: str = "", ip: str | None = None
) -> SystemUser:
    """Take one access package away from a standard system user, at once.

    Deleting the row is the compare-and-set: of two concurrent revokes one deletes it, the other
    finds nothing and is refused, so there is one audit event and one e-mail.
    """
    system_user = _live_managed(system_user_id, by)
    change = change_grants(
        system_user,
        remove=Grants(packages=[package]),
        action="systemuser.package_revoked",
        by=by,
        actor=actor,
        ip=ip,
        data={"package": package},
        refuse_if_unchanged=ServiceError(
            "AUTH-00063", f"The system access does not have the package {package}", items=[package]
        ),
    )
    _tell_vendor(system_user, change.event, package=package)
    return system_user


@transaction.atomic
def revoke_right(
    *, system_user_id, resource: str, action: str = "", by: Person | None, actor: str = "", ip: str | None = None
) -> SystemUser:
    """Take one single right (resource, action; "" = every action) away from a standard system user."""
    system_user = _live_managed(system_user_id, by)
    item = f"{resource}:{action or '*'}"
    change = change_grants(
        system_user,
        remove=Grants(rights=[{"resource": resource, "action": action or ""}]),
        action="systemuser.right_revoked",
        by=by,
        actor=actor,
        ip=ip,
        data={"resource": resource, "action": action or ""},
        refuse_if_unchanged=ServiceError(
            "AUTH-00001", f"The system access does not have the right {item}", items=[item]
        ),
    )
    _tell_vendor(system_user, change.event, right=item)
    return system_user

"""Ending system users and their rights: delete, revoke a package, revoke a right.

Each takes effect at once: tokens and PDP decisions read the live rows.
"""

from django.db import transaction
from django.utils import timezone

from registry import access, audit
from registry.errors import ServiceError
from registry.models import Person, SystemUser


@transaction.atomic
def delete_system_user(*, system_user_id, by: Person | None, actor: str = "", ip: str | None = None) -> SystemUser:
    """Soft-delete a system user (compare-and-set, so two deletes give one event).

    `by` is the person acting (must be access manager for the owner); None for operator staff, who
    pass `actor` (e.g. "staff:<username>").
    """
    system_user = SystemUser.objects.select_related("owner").filter(pk=system_user_id).first()
    if system_user is None or (by is not None and not access.may_act_for(by, system_user.owner)):
        raise ServiceError("AUTH-00015", "System access not found", status=404)
    if by is not None and not access.is_access_manager(by, system_user.owner):
        raise ServiceError("AUTH-00066", "You are not access manager for this organisation", status=403)
    changed = SystemUser.objects.filter(pk=system_user.pk, is_deleted=False).update(
        is_deleted=True, deleted_at=timezone.now()
    )
    if not changed:
        raise ServiceError("AUTH-00015", "System access is already deleted", status=404)
    audit.record(
        "systemuser.deleted",
        actor=audit.person_actor(by) if by else actor,
        actor_person=by,
        object_type="systemuser",
        object_id=system_user.pk,
        party_orgno=system_user.owner.orgno,
        ip=ip,
    )
    system_user.refresh_from_db()
    return system_user

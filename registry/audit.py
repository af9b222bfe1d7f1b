"""One way to write an audit event, called by services inside their transaction."""

from typing import Any

from registry.models import AuditEvent, Person


def record(
    action: str,
    *,
    actor: str,
    actor_person: Person | None = None,
    object_type: str = "",
    object_id: object = "",
    party_orgno: str = "",
    outcome: str = "ok",
    reason: str = "",
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor[:200],
        actor_person=actor_person,
        object_type=object_type,
        object_id=str(object_id)[:200],
        party_orgno=party_orgno or "",
        outcome=outcome,
        reason=reason,
        data=data or {},
        ip=ip,
    )


def person_actor(person: Person) -> str:
    return f"person:{person.pid}"


def on_system_user(
    action: str, system_user, *, by: Person | None, actor: str = "", data: dict[str, Any], ip: str | None = None
) -> AuditEvent:
    """An event in a system user's history (its details page shows these): by a person, or else by the
    named actor (staff, a command, a service)."""
    return record(
        action,
        actor=person_actor(by) if by is not None else actor,
        actor_person=by,
        object_type="systemuser",
        object_id=system_user.pk,
        party_orgno=system_user.owner.orgno,
        data=data,
        ip=ip,
    )

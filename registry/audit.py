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

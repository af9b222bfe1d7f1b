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


def on_system_user_each(
    action: str, system_user, *, by: Person | None, actor: str = "", data: list[dict[str, Any]], ip: str | None = None
) -> None:
    """One event per item of `data` in a system user's history, each as `on_system_user` writes it, in
    one insert: adding hundreds of clients at once costs one query for their events, not one each."""
    events = [
        AuditEvent(
            action=action,
            actor=(person_actor(by) if by is not None else actor)[:200],
            actor_person=by,
            object_type="systemuser",
            object_id=str(system_user.pk),
            party_orgno=system_user.owner.orgno,
            data=item,
            ip=ip,
        )
        for item in data
    ]
    AuditEvent.objects.bulk_create(events)

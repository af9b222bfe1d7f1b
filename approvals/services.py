"""Deciding vendor requests: approve, reject, escalate, time out. One function, one transaction each.

Every transition is a compare-and-set on the request's status (`filter(status=New).update(...)` and
check the count), never `select_for_update`, which SQLite ignores. Approval claims the transition
*first*: concurrent approvals queue on the row lock (PostgreSQL) or the write lock (SQLite), and all
but the first find the request no longer New — so N simultaneous approves, or approve racing reject,
give one transition, one system user, one audit event and one notification. If anything after the
claim fails (delegation check, the system's current rights), the whole transaction rolls back and
the request is New again.
"""

import uuid

from django.db import transaction

from approvals import notifications
from approvals.models import Request, RequestStatus
from approvals.transitions import check_access_manager, check_may_act_for, check_open, decide_once, time_out
from lib.errors import ServiceError
from registry import audit
from registry.models import Organisation, Person
from registry.services.system_users import create_system_user


def get_request(request_id: uuid.UUID | str, *, kind: str | None = None) -> Request:
    """The live request with this id (and kind), or AUTH-00010."""
    found = Request.objects.live().select_related("system__vendor", "party").filter(pk=request_id)
    if kind is not None:
        found = found.filter(kind=kind)
    request_obj = found.first()
    if request_obj is None:
        raise ServiceError("AUTH-00010", "The request was not found", status=404)
    return request_obj


def _record(action: str, request_obj: Request, by: Person, ip: str | None, **data) -> None:
    audit.record(
        action,
        actor=audit.person_actor(by),
        actor_person=by,
        object_type="request",
        object_id=request_obj.pk,
        party_orgno=request_obj.party.orgno,
        data={"system": request_obj.system.system_id, "kind": request_obj.kind, **data},
        ip=ip,
    )


@transaction.atomic
def approve_request(
    *, request_id: uuid.UUID | str, by: Person, party: Organisation | None = None, ip: str | None = None
) -> Request:
    """Accept the request and create its system user, with the request's id, as person `by`.

    Refusals: AUTH-00010 not found, AUTH-00041 may not act for the request's organisation, AUTH-00013
    not New (or timed out), AUTH-00066 not access manager; from the creation: AUTH-00011 system gone,
    AUTH-00004 a system access exists, AUTH-00001/00063/00064/00065 no longer on the system,
    AUTH-00053 the delegation check (items name each package/right and why).
    """
    request_obj = get_request(request_id)
    check_may_act_for(request_obj, by, "request", party)
    check_open(request_obj, "request")
    check_access_manager(request_obj, by)
    decide_once(request_obj, RequestStatus.ACCEPTED, by, "request")
    create_system_user(
        by=by,
        party=request_obj.party,
        system=request_obj.system,
        packages=request_obj.access_packages,
        rights=request_obj.rights,
        external_ref=request_obj.external_ref or None,
        integration_title=request_obj.integration_title,
        user_type=request_obj.kind,
        system_user_id=request_obj.pk,
        ip=ip,
    )
    _record("request.accepted", request_obj, by, ip, system_user=str(request_obj.pk))
    notifications.notify_decided(request_obj)
    return request_obj


@transaction.atomic
def reject_request(
    *, request_id: uuid.UUID | str, by: Person, party: Organisation | None = None, ip: str | None = None
) -> Request:
    """Reject the request (access managers only). Refusals as approve_request."""
    request_obj = get_request(request_id)
    check_may_act_for(request_obj, by, "request", party)
    check_open(request_obj, "request")
    check_access_manager(request_obj, by)
    decide_once(request_obj, RequestStatus.REJECTED, by, "request")
    _record("request.rejected", request_obj, by, ip)
    notifications.notify_decided(request_obj)
    return request_obj


@transaction.atomic
def escalate_request(
    *, request_id: uuid.UUID | str, by: Person, party: Organisation | None = None, ip: str | None = None
) -> Request:
    """Forward the request to the organisation's access managers (anyone who may act for it).

    Escalating twice changes nothing and notifies nobody again.
    """
    request_obj = get_request(request_id)
    check_may_act_for(request_obj, by, "request", party)
    check_open(request_obj, "request")
    changed = Request.objects.filter(
        pk=request_obj.pk, status=RequestStatus.NEW, is_deleted=False, escalated=False
    ).update(escalated=True)
    if not changed:
        request_obj.refresh_from_db()
        check_open(request_obj, "request")
        return request_obj
    request_obj.escalated = True
    _record("request.escalated", request_obj, by, ip)
    notifications.notify_escalated(request_obj, by=by)
    return request_obj


def time_out_requests() -> int:
    """Mark open requests older than REQUEST_TIMEOUT_DAYS as Timedout (Celery beat). Returns how many."""
    return time_out(Request, orgno="party__orgno", object_type="request")

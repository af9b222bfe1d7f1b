"""Vendor requests (standard and agent), one module: the vendor's side — create, read and delete, as the
vendor API needs them (CONTRACT §2.2) — and the business's — approve, reject, escalate, time out.

Every transition is a compare-and-set on the request's status (`filter(status=New).update(...)` and
check the count), never `select_for_update`, which SQLite ignores (the one row lock here only queues new
requests to one organisation, so that their limits count each other: approvals.flooding). Approval claims
the transition *first*: concurrent approvals queue on the row lock (PostgreSQL) or the write lock (SQLite), and all
but the first find the request no longer New — so N simultaneous approves, or approve racing reject,
give one transition, one system user, one audit event and one notification. If anything after the
claim fails (delegation check, the system's current rights), the whole transaction rolls back and
the request is New again.
"""

import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from approvals import flooding, notifications
from approvals.models import Request, RequestKind, RequestStatus
from approvals.transitions import (
    check_access_manager,
    check_may_act_for,
    check_open,
    decide_once,
    delete_once,
    time_out,
    time_out_one,
    vendor_lookup,
)
from lib.errors import ServiceError, ValidationFailed
from lib.identifiers import is_valid_orgno
from lib.redirect_urls import check_redirect_url
from lib.vendor_text import text_errors
from registry import access, audit
from registry.models import Organisation, Person, RegisteredSystem, SystemUserType
from registry.services.system_users import (
    check_against_system,
    create_system_user,
    live_system_user_exists,
)
from registry.wire import requested_packages, requested_rights


@dataclass
class RequestSpec:
    """A vendor's request as the API body gives it (type-checked; rights and packages in the wire shape)."""

    kind: str
    system_id: str
    party_orgno: str
    external_ref: str = ""
    integration_title: str = ""
    rights: list[dict] = field(default_factory=list)
    access_packages: list[str] = field(default_factory=list)
    redirect_url: str = ""


# --- validation -------------------------------------------------------------------------------------


def own_system(vendor: Organisation, system_id: str) -> RegisteredSystem:
    system = RegisteredSystem.objects.live().filter(system_id=system_id).first()
    if system is None or not access.vendor_owns_system(vendor, system):
        raise ServiceError("AUTH-00011", "The system is not in the system register", status=404)
    return system


def _validate(vendor: Organisation, spec: RequestSpec) -> tuple[RegisteredSystem, Organisation, list, list]:
    """The checks in CONTRACT order. The system's owner comes first: another vendor's system is not found,
    so nothing about it (or its customers' system users) leaks."""
    errors = text_errors({"/integrationtitle": spec.integration_title, "/externalref": spec.external_ref})
    if errors:  # the texts reach the business's e-mail and pages (lib/vendor_text.py)
        raise ValidationFailed(errors)
    system = own_system(vendor, spec.system_id)
    valid_orgno = is_valid_orgno(spec.party_orgno)
    party = Organisation.objects.live().filter(orgno=spec.party_orgno).first() if valid_orgno else None
    external_ref = spec.external_ref or spec.party_orgno
    if party is not None and live_system_user_exists(party, system, external_ref):
        raise ServiceError("AUTH-00004", "A system user already exists for this system, organisation and externalRef")
    if party is None:
        raise ServiceError("AUTH-00000", "The organisation (partyOrgNo) was not found")
    check_redirect_url(spec.redirect_url, system.allowed_redirect_urls)
    if spec.kind == RequestKind.AGENT and spec.rights:
        raise ServiceError("AUTH-00058", "An agent request takes access packages only, not single rights")
    rights, packages = requested_rights(spec.rights), requested_packages(spec.access_packages)
    user_type = SystemUserType.AGENT if spec.kind == RequestKind.AGENT else SystemUserType.STANDARD
    check_against_system(system, packages=packages, rights=rights, user_type=user_type)
    if spec.kind == RequestKind.AGENT and not packages:
        raise ServiceError("AUTH-00058", "An agent request needs at least one access package")
    if spec.kind == RequestKind.STANDARD and not packages and not rights:
        raise ServiceError("AUTH-00059", "A request needs at least one right or access package")
    return system, party, rights, packages


# --- operations -------------------------------------------------------------------------------------


@transaction.atomic
def create_request(*, vendor: Organisation, spec: RequestSpec, ip: str | None = None) -> tuple[Request, bool]:
    """Create a request, or return the open one for the same (kind, party, system, externalRef).

    Returns (request, created). Idempotent: a vendor that re-posts after a lost answer gets the same id.
    """
    system, party, rights, packages = _validate(vendor, spec)
    external_ref = spec.external_ref or party.orgno
    same = Request.objects.live().of_kind(spec.kind).for_triple(party=party, system=system, external_ref=external_ref)
    existing = same.filter(status=RequestStatus.NEW).first()
    if existing is not None and not existing.timed_out:
        return existing, False
    if existing is not None:
        # Timed out but not yet swept: mark it, so the one-open-request constraint lets the new one in.
        time_out_one(existing, object_type="request")
    # New requests and change requests to one organisation queue here, so that the limits and the mail
    # rule count each other's rows (approvals.flooding).
    flooding.queue_on(party)
    flooding.check(flooding.REQUESTS, vendor, party)  # after the re-post answer: asking again for an open one is fine
    try:
        with transaction.atomic():
            request = Request.objects.create(
                id=uuid.uuid4(),
                kind=spec.kind,
                system=system,
                party=party,
                external_ref=external_ref,
                integration_title=spec.integration_title or system.name.get("nb") or system.system_id,
                rights=rights,
                access_packages=packages,
                redirect_url=spec.redirect_url,
            )
    except IntegrityError:
        # A concurrent post for the same triple won; answer as the re-post it is.
        return same.filter(status=RequestStatus.NEW).get(), False
    audit.record(
        "request.created",
        actor=f"vendor:{vendor.orgno}",
        object_type="request",
        object_id=request.id,
        party_orgno=party.orgno,
        data={"kind": spec.kind, "system": system.system_id, "rights": rights, "packages": packages},
        ip=ip,
    )
    notifications.notify_request_created(request)  # the outbox row, in this transaction
    return request, True


def _vendor_requests(vendor: Organisation, kind: str):
    return Request.objects.live().of_vendor(vendor).of_kind(kind).select_related("system", "party")


def get_request(request_id: uuid.UUID | str, *, kind: str | None = None, vendor: Organisation | None = None) -> Request:
    """The live request with this id (and kind), or AUTH-00010 — also for a malformed id. With `vendor`
    (the vendor API), only that vendor's own: anyone else's is not found either, so ids do not leak.
    The business's side checks who may see and decide it (approvals.transitions)."""
    found = Request.objects.live().select_related("system__vendor", "party")
    if vendor is not None:
        found = found.of_vendor(vendor)
    if kind is not None:
        found = found.of_kind(kind)
    return vendor_lookup(found, noun="request", raw_id=request_id)


def get_request_by_external_ref(
    *, vendor: Organisation, system_id: str, party_orgno: str, external_ref: str, kind: str
) -> Request:
    system = own_system(vendor, system_id)
    matching = _vendor_requests(vendor, kind).filter(system=system, party__orgno=party_orgno, external_ref=external_ref)
    return vendor_lookup(matching, noun="request", newest=True)


def requests_of_system(*, vendor: Organisation, system_id: str, kind: str):
    """The vendor's requests for one of its systems (for a paginated list)."""
    return _vendor_requests(vendor, kind).filter(system=own_system(vendor, system_id))


@transaction.atomic
def delete_request(*, vendor: Organisation, request_id: str, kind: str, ip: str | None = None) -> None:
    """Soft-delete the vendor's own request (compare-and-set: two deletes give one event)."""
    delete_once(get_request(request_id, kind=kind, vendor=vendor), vendor=vendor, noun="request", ip=ip)


# --- the business's decisions -----------------------------------------------------------------------


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

"""Vendor change requests (CONTRACT §2.3), one module: the vendor asks a customer to change the rights of
an existing system user — create (the vendor's correlation id becomes the id), read, list, delete — and
the business approves or rejects.

Deciding mirrors approvals.system_user_requests: one transaction each, the transition is a compare-and-set on the
status (`filter(status=New).update(...)` and check the count), claimed *first* — concurrent approvals
queue on the row lock, and all but the first find it no longer New. If anything after the claim fails
(the system's current rights, the delegation check), the transaction rolls back and the change request
is New again. Approval adds the required packages/rights (skipping those already held) and deletes the
unwanted ones through registry.services.grants (one audit event on the system user) and queues one
e-mail to the vendor.
"""

import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from approvals import flooding, notifications, transitions
from approvals.models import ChangeRequest, RequestStatus
from approvals.system_user_requests import own_system
from lib.errors import FieldError, ServiceError, ValidationFailed
from lib.redirect_urls import check_redirect_url
from registry import access, audit
from registry.models import Organisation, Person, SystemUser, SystemUserType
from registry.services.grants import Grants, change_grants
from registry.services.system_users import check_against_system
from registry.wire import normalize_rights, requested_packages, requested_rights


@dataclass
class ChangeSpec:
    """The body of a change request, type-checked; rights and packages in the wire shape."""

    required_rights: list[dict] = field(default_factory=list)
    unwanted_rights: list[dict] = field(default_factory=list)
    required_packages: list[str] = field(default_factory=list)
    unwanted_packages: list[str] = field(default_factory=list)
    redirect_url: str = ""


def _uuid(value: str, path: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed([FieldError("STD.VLD-00001", "Not a valid uuid", [path])]) from None


def _change_needed(
    system_user: SystemUser, rights: list, unwanted_rights: list, packages: list, unwanted: list
) -> bool:
    held_rights = {(r, a) for r, a in system_user.rights.values_list("resource_id", "action")}
    held_packages = set(system_user.packages.values_list("package_id", flat=True))
    return (
        any((r["resource"], r["action"]) not in held_rights for r in rights)
        or any((r["resource"], r["action"]) in held_rights for r in unwanted_rights)
        or any(p not in held_packages for p in packages)
        or any(p in held_packages for p in unwanted)
    )


def _existing(correlation_id: uuid.UUID, system_user: SystemUser) -> ChangeRequest | None:
    """The open change request with this id for this system user (an idempotent re-post), else AUTH-00061."""
    existing = ChangeRequest.objects.filter(pk=correlation_id).first()
    if existing is None:
        return None
    is_open = existing.status == RequestStatus.NEW and not existing.is_deleted and not existing.timed_out
    if existing.system_user_id != system_user.pk or not is_open:
        raise ServiceError("AUTH-00061", "The correlation id is already used for another change request", status=409)
    return existing


@transaction.atomic
def create_change_request(
    *, vendor: Organisation, correlation_id: str, system_user_id: str, spec: ChangeSpec, ip: str | None = None
) -> tuple[ChangeRequest, bool]:
    """Create a change request with the vendor's correlation id; returns (change request, created).

    Nothing to change (the system user already has every required right and package and none of the
    unwanted ones) gives a stored change request with status NoChangeNeeded; otherwise the owner's
    access managers get an e-mail with the confirmUrl (outbox, this transaction), at most one per vendor
    and organisation per interval. 429 past a limit (approvals.flooding): nothing stored, nothing mailed.
    """
    request_uuid = _uuid(correlation_id, "/correlation-id")
    user_uuid = _uuid(system_user_id, "/system-user-id")
    if request_uuid == user_uuid:
        raise ValidationFailed(
            [FieldError("STD.VLD-00001", "The correlation id may not be the system user's id", ["/correlation-id"])]
        )
    system_user = (
        SystemUser.objects.live().of_vendor(vendor).select_related("system", "owner").filter(pk=user_uuid).first()
    )
    if system_user is None:
        raise access.system_user_not_found()
    existing = _existing(request_uuid, system_user)
    if existing is not None:
        return existing, False
    system = system_user.system
    check_redirect_url(spec.redirect_url, system.allowed_redirect_urls)
    if system_user.user_type == SystemUserType.AGENT and (spec.required_rights or spec.unwanted_rights):
        raise ServiceError("AUTH-00058", "An agent system user takes access packages only, not single rights")
    required_rights, unwanted_rights = requested_rights(spec.required_rights), requested_rights(spec.unwanted_rights)
    required_packages = requested_packages(spec.required_packages)
    unwanted_packages = requested_packages(spec.unwanted_packages)
    check_against_system(system, packages=required_packages, rights=required_rights, user_type=system_user.user_type)
    needed = _change_needed(system_user, required_rights, unwanted_rights, required_packages, unwanted_packages)
    # On the owner's row, with new requests to it (approvals.flooding): the limits count each other's rows.
    flooding.queue_on(system_user.owner)
    existing = _existing(request_uuid, system_user)  # the same id, posted while this one waited
    if existing is not None:
        return existing, False
    flooding.check(flooding.CHANGE_REQUESTS, vendor, system_user.owner, opens=needed)
    try:
        with transaction.atomic():
            change_request = ChangeRequest.objects.create(
                id=request_uuid,
                system_user=system_user,
                required_rights=required_rights,
                unwanted_rights=unwanted_rights,
                required_access_packages=required_packages,
                unwanted_access_packages=unwanted_packages,
                redirect_url=spec.redirect_url,
                status=RequestStatus.NEW if needed else RequestStatus.NO_CHANGE_NEEDED,
            )
    except IntegrityError:
        # The same correlation id was posted at the same moment: answer as the re-post it is.
        return _existing(request_uuid, system_user) or ChangeRequest.objects.get(pk=request_uuid), False
    audit.record(
        "changerequest.created",
        actor=f"vendor:{vendor.orgno}",
        object_type="changerequest",
        object_id=change_request.id,
        party_orgno=system_user.owner.orgno,
        data={"systemUser": str(system_user.pk), "status": change_request.status},
        ip=ip,
    )
    if change_request.status == RequestStatus.NEW:
        notifications.notify_change_request_created(change_request)  # the outbox row, in this transaction
    return change_request, True


def _vendor_change_requests(vendor: Organisation):
    return ChangeRequest.objects.live().of_vendor(vendor).select_related("system_user__system", "system_user__owner")


def get_change_request(change_request_id: uuid.UUID | str, *, vendor: Organisation | None = None) -> ChangeRequest:
    """The live change request with this id, or AUTH-00010 — also for a malformed id. With `vendor` (the
    vendor API), only that vendor's own, whatever became of its system user; anyone else's is not found,
    so ids do not leak. Without (the business's side), only one whose system user is live: a deleted
    system access has nothing left to change."""
    found = ChangeRequest.objects.live().select_related("system_user__owner", "system_user__system__vendor")
    found = found.of_vendor(vendor) if vendor is not None else found.filter(system_user__is_deleted=False)
    return transitions.vendor_lookup(found, noun="change request", raw_id=change_request_id)


def get_change_request_by_external_ref(
    *, vendor: Organisation, system_id: str, party_orgno: str, external_ref: str
) -> ChangeRequest:
    system = own_system(vendor, system_id)
    matching = _vendor_change_requests(vendor).filter(
        system_user__system=system, system_user__owner__orgno=party_orgno, system_user__external_ref=external_ref
    )
    return transitions.vendor_lookup(matching, noun="change request", newest=True)


def change_requests_of_system(*, vendor: Organisation, system_id: str):
    return _vendor_change_requests(vendor).filter(system_user__system=own_system(vendor, system_id))


@transaction.atomic
def delete_change_request(*, vendor: Organisation, change_request_id: str, ip: str | None = None) -> None:
    change_request = get_change_request(change_request_id, vendor=vendor)
    transitions.delete_once(change_request, vendor=vendor, noun="change request", ip=ip)


# --- the business's decisions -----------------------------------------------------------------------


def _prepare(change_request_id, by: Person) -> ChangeRequest:
    change_request = get_change_request(change_request_id)
    transitions.check_may_act_for(change_request, by, "change request")
    transitions.check_open(change_request, "change request")
    transitions.check_access_manager(change_request, by)
    return change_request


def _record(action: str, change_request: ChangeRequest, by: Person, ip: str | None, **data):
    system_user = change_request.system_user
    data = {"changeRequest": str(change_request.pk), "system": system_user.system.system_id, **data}
    return audit.on_system_user(action, system_user, by=by, data=data, ip=ip)


def clients_lacking_new_packages(change_request: ChangeRequest) -> QuerySet[Organisation]:
    """Live clients of an agent system user that do not give its owner every package the change request
    adds (those it does not hold yet), by name; none for a standard system user or when nothing is added.
    A queryset: the page counts them and names the first in the database (a firm may have thousands), by
    the rule of `registry.access.holds_every` — what the PDP reads one client at a time."""
    system_user = change_request.system_user
    if system_user.user_type != SystemUserType.AGENT:
        return Organisation.objects.none()
    held = set(system_user.packages.values_list("package_id", flat=True))
    added = sorted(set(change_request.required_access_packages) - held)
    if not added:
        return Organisation.objects.none()
    clients = Organisation.objects.live().filter(pk__in=system_user.client_delegations.values("client_id"))
    return clients.exclude(access.holds_every(system_user.owner, added)).order_by("name", "orgno")


@transaction.atomic
def approve_change_request(change_request_id: uuid.UUID | str, *, by: Person, ip: str | None = None) -> ChangeRequest:
    """Accept the change request and change the system user's packages and rights, as person `by`.

    Refusals: AUTH-00010 not found, AUTH-00041 may not act for the owner, AUTH-00013 not New (or timed
    out), AUTH-00066 not access manager; AUTH-00058 single rights for an agent system user;
    AUTH-00001/00063/00064/00065 no longer on the system (or not fit for its type); AUTH-00053 the
    delegation check, for a standard system user (items name each).

    An agent system user keeps its clients: a client that does not give the owner an added package
    stays delegated, and the PDP permits nothing through that package for it until it does
    (`clients_lacking_new_packages` lists them for the page).
    """
    change_request = _prepare(change_request_id, by)
    system_user = change_request.system_user
    is_agent = system_user.user_type == SystemUserType.AGENT
    if is_agent and change_request.required_rights:
        # Refused when the vendor posts it; checked again so that no right ever lands on an agent.
        raise ServiceError("AUTH-00058", "An agent system user takes access packages only, not single rights")
    transitions.decide_once(change_request, RequestStatus.ACCEPTED, by, "change request")
    packages = sorted(set(change_request.required_access_packages))
    rights = normalize_rights(change_request.required_rights)
    check_against_system(system_user.system, packages=packages, rights=rights, user_type=system_user.user_type)
    # As when an agent request is approved: the owner's access manager delegates nothing to the agent
    # system user itself; each client's packages are checked when clients are added, and by the PDP.
    failures = [] if is_agent else access.delegation_check(by, system_user.owner, packages=packages, rights=rights)
    if failures:
        raise ServiceError(
            "AUTH-00053",
            "You may not delegate: " + ", ".join(f"{x.item} ({x.reason})" for x in failures),
            items=failures,
        )
    change = change_grants(
        system_user,
        add=Grants(packages, rights),
        remove=Grants(change_request.unwanted_access_packages, change_request.unwanted_rights),
        action="changerequest.approved",
        by=by,
        ip=ip,
        data={"changeRequest": str(change_request.pk), "system": system_user.system.system_id},
    )
    notifications.notify_change_decided(change_request, added=change.added, removed=change.removed)
    return change_request


@transaction.atomic
def reject_change_request(change_request_id: uuid.UUID | str, *, by: Person, ip: str | None = None) -> ChangeRequest:
    """Reject the change request (access managers only); the system user is left as it is."""
    change_request = _prepare(change_request_id, by)
    transitions.decide_once(change_request, RequestStatus.REJECTED, by, "change request")
    _record("changerequest.rejected", change_request, by, ip)
    notifications.notify_change_decided(change_request)
    return change_request


def time_out_change_requests() -> int:
    """Mark open change requests older than REQUEST_TIMEOUT_DAYS as Timedout (Celery beat)."""
    return transitions.time_out(ChangeRequest, orgno="system_user__owner__orgno", object_type="changerequest")

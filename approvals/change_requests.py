"""Vendor change requests (CONTRACT §2.3): ask a customer to change the rights of an existing system user.

Create (the vendor's correlation id becomes the id), read, list and delete. Approving is the business's
side and lives with the approval pages.
"""

import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from approvals.models import ChangeRequest, RequestStatus
from approvals.notifications import notify_change_request_created
from approvals.requests import own_system
from approvals.transitions import vendor_lookup
from lib.errors import FieldError, ServiceError, ValidationFailed
from lib.redirect_urls import check_redirect_url
from registry import audit
from registry.models import Organisation, SystemUser, SystemUserType
from registry.services.system_users import check_against_system
from registry.wire import requested_packages, requested_rights


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
    access managers get an e-mail with the confirmUrl (outbox, this transaction).
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
        raise ServiceError("AUTH-00015", "System user not found", status=404)
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
        notify_change_request_created(change_request)  # the outbox row, in this transaction
    return change_request, True


def _vendor_change_requests(vendor: Organisation):
    return ChangeRequest.objects.live().of_vendor(vendor).select_related("system_user__system", "system_user__owner")


def get_change_request(*, vendor: Organisation, change_request_id: str) -> ChangeRequest:
    return vendor_lookup(_vendor_change_requests(vendor), noun="change request", raw_id=change_request_id)


def get_change_request_by_external_ref(
    *, vendor: Organisation, system_id: str, party_orgno: str, external_ref: str
) -> ChangeRequest:
    system = own_system(vendor, system_id)
    matching = _vendor_change_requests(vendor).filter(
        system_user__system=system, system_user__owner__orgno=party_orgno, system_user__external_ref=external_ref
    )
    return vendor_lookup(matching, noun="change request")


def change_requests_of_system(*, vendor: Organisation, system_id: str):
    return _vendor_change_requests(vendor).filter(system_user__system=own_system(vendor, system_id))


@transaction.atomic
def delete_change_request(*, vendor: Organisation, change_request_id: str, ip: str | None = None) -> None:
    change_request = get_change_request(vendor=vendor, change_request_id=change_request_id)
    if not ChangeRequest.objects.filter(pk=change_request.pk, is_deleted=False).update(is_deleted=True):
        raise ServiceError("AUTH-00010", "The change request was not found", status=404)
    audit.record(
        "changerequest.deleted",
        actor=f"vendor:{vendor.orgno}",
        object_type="changerequest",
        object_id=change_request.id,
        party_orgno=change_request.system_user.owner.orgno,
        ip=ip,
    )

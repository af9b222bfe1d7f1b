"""Vendor requests (standard and agent): create, read and delete, as the vendor API needs them (CONTRACT §2.2).

Approving and rejecting are the business's side and live with the approval pages.
"""

import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from approvals.models import Request, RequestKind, RequestStatus
from approvals.notifications import notify_request_created
from approvals.transitions import vendor_lookup
from lib.errors import ServiceError
from lib.identifiers import is_valid_orgno
from lib.redirect_urls import check_redirect_url
from registry import access, audit
from registry.models import Organisation, RegisteredSystem, SystemUserType
from registry.services.system_users import check_against_system, live_system_user_exists
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
        Request.objects.filter(pk=existing.pk, status=RequestStatus.NEW).update(status=RequestStatus.TIMEDOUT)
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
    notify_request_created(request)  # the outbox row, in this transaction
    return request, True


def _vendor_requests(vendor: Organisation, kind: str):
    return Request.objects.live().of_vendor(vendor).of_kind(kind).select_related("system", "party")


def get_request(*, vendor: Organisation, request_id: str, kind: str) -> Request:
    """The vendor's own request; anyone else's is not found (AUTH-00010), so ids do not leak."""
    return vendor_lookup(_vendor_requests(vendor, kind), noun="request", raw_id=request_id)


def get_request_by_external_ref(
    *, vendor: Organisation, system_id: str, party_orgno: str, external_ref: str, kind: str
) -> Request:
    system = own_system(vendor, system_id)
    matching = _vendor_requests(vendor, kind).filter(system=system, party__orgno=party_orgno, external_ref=external_ref)
    return vendor_lookup(matching, noun="request")


def requests_of_system(*, vendor: Organisation, system_id: str, kind: str):
    """The vendor's requests for one of its systems (for a paginated list)."""
    return _vendor_requests(vendor, kind).filter(system=own_system(vendor, system_id))


@transaction.atomic
def delete_request(*, vendor: Organisation, request_id: str, kind: str, ip: str | None = None) -> None:
    """Soft-delete the vendor's own request (compare-and-set: two deletes give one event)."""
    request = get_request(vendor=vendor, request_id=request_id, kind=kind)
    if not Request.objects.filter(pk=request.pk, is_deleted=False).update(is_deleted=True):
        raise ServiceError("AUTH-00010", "The request was not found", status=404)
    audit.record(
        "request.deleted",
        actor=f"vendor:{vendor.orgno}",
        object_type="request",
        object_id=request.id,
        party_orgno=request.party.orgno,
        ip=ip,
    )

"""Deciding vendor change requests (CONTRACT §2.3) on the business's side: approve or reject.

Mirrors approvals.services: one transaction each, the transition is a compare-and-set on the status
(`filter(status=New).update(...)` and check the count), claimed *first* — concurrent approvals queue on
the row lock, and all but the first find it no longer New. If anything after the claim fails (the
system's current rights, the delegation check), the transaction rolls back and the change request is
New again. Approval adds the required packages/rights (skipping those already held) and deletes the
unwanted ones, records one audit event on the system user and queues one e-mail to the vendor.
"""

import uuid

from django.db import transaction

from approvals import notifications
from approvals.models import ChangeRequest, RequestStatus
from approvals.transitions import check_access_manager, check_may_act_for, check_open, decide_once, time_out
from lib.errors import ServiceError
from registry import access, audit
from registry.models import Organisation, Person, SystemUserType
from registry.services.grants import Grants, change_grants
from registry.services.system_users import check_against_system, normalize_rights


def get_change_request(change_request_id: uuid.UUID | str) -> ChangeRequest:
    """The live change request of a live system user, or AUTH-00010."""
    found = (
        ChangeRequest.objects.live()
        .filter(pk=change_request_id, system_user__is_deleted=False)
        .select_related("system_user__owner", "system_user__system__vendor")
        .first()
    )
    if found is None:
        raise ServiceError("AUTH-00010", "The change request was not found", status=404)
    return found


def _prepare(change_request_id, by: Person) -> ChangeRequest:
    change_request = get_change_request(change_request_id)
    check_may_act_for(change_request, by, "change request")
    check_open(change_request, "change request")
    check_access_manager(change_request, by)
    return change_request


def _record(action: str, change_request: ChangeRequest, by: Person, ip: str | None, **data):
    system_user = change_request.system_user
    data = {"changeRequest": str(change_request.pk), "system": system_user.system.system_id, **data}
    return audit.on_system_user(action, system_user, by=by, data=data, ip=ip)


def clients_lacking_new_packages(change_request: ChangeRequest) -> list[Organisation]:
    """Live clients of an agent system user that do not give its owner every package the change request
    adds (those it does not hold yet), by name; [] for a standard system user or when nothing is added."""
    system_user = change_request.system_user
    if system_user.user_type != SystemUserType.AGENT:
        return []
    held = set(system_user.packages.values_list("package_id", flat=True))
    added = sorted(set(change_request.required_access_packages) - held)
    if not added:
        return []
    delegations = system_user.client_delegations.filter(client__is_deleted=False).select_related("client")
    clients = [d.client for d in delegations.order_by("client__name")]
    return access.clients_lacking(system_user.owner, clients, added)


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
    decide_once(change_request, RequestStatus.ACCEPTED, by, "change request")
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
    decide_once(change_request, RequestStatus.REJECTED, by, "change request")
    _record("changerequest.rejected", change_request, by, ip)
    notifications.notify_change_decided(change_request)
    return change_request


def time_out_change_requests() -> int:
    """Mark open change requests older than REQUEST_TIMEOUT_DAYS as Timedout (Celery beat)."""
    return time_out(ChangeRequest, orgno="system_user__owner__orgno", object_type="changerequest")

"""Deciding requests and change requests: who may, and the one state transition New → decided, once.

Shared by approvals.system_user_requests (vendor requests) and approvals.change_requests (change requests), so the
authority checks and the compare-and-set that keeps invariant 2 are written once.
"""

import uuid

from django.db import transaction
from django.utils import timezone

from approvals.models import ChangeRequest, Request, RequestStatus
from lib.errors import ServiceError
from registry import access, audit, events
from registry.models import Organisation, Person


def check_may_act_for(obj: Request | ChangeRequest, by: Person | None, noun: str, party: Organisation | None = None):
    """AUTH-00041 unless `by` may act for the organisation that decides (and `party`, if given, is it)."""
    if party is not None and party.pk != obj.party.pk:
        raise ServiceError("AUTH-00041", f"The party is not the organisation of the {noun}", status=403)
    if not access.may_act_for(by, obj.party):
        raise ServiceError("AUTH-00041", f"You may not act for the organisation of this {noun}", status=403)


def check_access_manager(obj: Request | ChangeRequest, by: Person) -> None:
    if not access.is_access_manager(by, obj.party):
        raise ServiceError("AUTH-00066", "You are not access manager for this organisation", status=403)


def check_open(obj: Request | ChangeRequest, noun: str) -> None:
    """AUTH-00013 unless `obj` is New and not timed out; `noun` names it in the message."""
    if obj.timed_out:
        raise ServiceError("AUTH-00013", f"The {noun} has timed out and can no longer be decided", status=409)
    if obj.status != RequestStatus.NEW:
        raise ServiceError("AUTH-00013", f"The {noun} is already {obj.status}", status=409)


def decide_once(obj: Request | ChangeRequest, status: str, by: Person, noun: str) -> None:
    """Compare-and-set New → status; AUTH-00013 when someone else decided first (or it timed out)."""
    now = timezone.now()
    changed = (
        type(obj)
        .objects.filter(pk=obj.pk, status=RequestStatus.NEW, is_deleted=False, created__gt=obj.timeout_cutoff(now))
        .update(status=status, decided_at=now, decided_by=by)
    )
    if changed != 1:
        raise ServiceError("AUTH-00013", f"The {noun} has already been decided", status=409)
    obj.status, obj.decided_at, obj.decided_by = status, now, by
    _tell_vendor(obj)


def _tell_vendor(obj: Request | ChangeRequest) -> None:
    """The vendor event for a decision or a time-out (no.systembruker.<noun>.<status>), in its transaction."""
    events.emit(
        f"{events.PREFIX}{obj.event_noun}.{obj.status.lower()}",
        vendor_id=obj.system.vendor_id,
        subject=obj.pk,
        data=obj.event_data(),
    )


def time_out(model: type[Request] | type[ChangeRequest], *, orgno: str, object_type: str) -> int:
    """Mark open rows older than REQUEST_TIMEOUT_DAYS as Timedout, each with `_time_out_one`; `orgno` is
    the path to the deciding organisation's orgno."""
    now = timezone.now()
    expired = list(
        model.objects.filter(
            is_deleted=False, status=RequestStatus.NEW, created__lte=model.timeout_cutoff(now)
        ).values_list("pk", orgno)
    )
    count = 0
    for pk, party_orgno in expired:
        with transaction.atomic():
            count += _time_out_one(model, pk, party_orgno=party_orgno, object_type=object_type, now=now)
    return count


def time_out_one(obj: Request | ChangeRequest, *, object_type: str) -> bool:
    """Mark this one row Timedout now (one found past its time-out before the hourly job got to it)."""
    return _time_out_one(type(obj), obj.pk, party_orgno=obj.party.orgno, object_type=object_type, now=timezone.now())


def _time_out_one(model, pk, *, party_orgno: str, object_type: str, now) -> bool:
    """The one time-out transition: compare-and-set New → Timedout, the audit event
    (`<object_type>.timedout`) and the vendor event, once."""
    if not model.objects.filter(pk=pk, status=RequestStatus.NEW).update(status=RequestStatus.TIMEDOUT, decided_at=now):
        return False
    _tell_vendor(model.objects.get(pk=pk))
    audit.record(
        f"{object_type}.timedout", actor="system", object_type=object_type, object_id=pk, party_orgno=party_orgno
    )
    return True


def delete_once(obj: Request | ChangeRequest, *, vendor: Organisation, noun: str, ip: str | None) -> None:
    """The vendor's soft delete: compare-and-set, so two deletes give one `<type>.deleted` event; the
    second is AUTH-00010 as for any request not found."""
    if not type(obj).objects.filter(pk=obj.pk, is_deleted=False).update(is_deleted=True):
        raise ServiceError("AUTH-00010", f"The {noun} was not found", status=404)
    object_type = noun.replace(" ", "")
    audit.record(
        f"{object_type}.deleted",
        actor=f"vendor:{vendor.orgno}",
        object_type=object_type,
        object_id=obj.pk,
        party_orgno=obj.party.orgno,
        ip=ip,
    )


def vendor_lookup(queryset, *, noun: str, raw_id=None, newest: bool = False):
    """The vendor's own request or change request: the one with this id (`raw_id`), or with `newest` the
    newest in `queryset`. Anything else — someone else's, a malformed or missing id, none — is
    AUTH-00010, so ids do not leak (a missing id is never "the newest": that is asked for by name)."""
    if newest:
        found = queryset.order_by("-created").first()
    else:
        try:
            pk = uuid.UUID(str(raw_id))
        except ValueError:
            pk = None
        found = queryset.filter(pk=pk).first() if pk else None
    if found is None:
        raise ServiceError("AUTH-00010", f"The {noun} was not found", status=404)
    return found

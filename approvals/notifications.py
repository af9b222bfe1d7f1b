"""Which e-mails a request or change request causes, to whom, with what text. Called inside the state
change's transaction; the outbox sends them after commit.

`notify_request_created` and `notify_change_request_created` are for the vendor API: call them in the
transaction that creates the request or change request.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals.models import ChangeRequest, Request, RequestKind, RequestStatus
from registry import access
from registry.emails import queue_email
from registry.models import Organisation, Person
from registry.wire import package_urn

CONFIRM_PATHS = {RequestKind.STANDARD: "/systemuser/request", RequestKind.AGENT: "/systemuser/agentrequest"}


def confirm_url(obj: Request | ChangeRequest) -> str:
    """The approval link (CONTRACT §2.2 and §2.3 `confirmUrl`)."""
    path = "/systemuser/changerequest" if isinstance(obj, ChangeRequest) else CONFIRM_PATHS[obj.kind]
    return f"{settings.PORTAL_BASE_URL}{path}?id={obj.id}"


def _queue(kind: str, obj: Request | ChangeRequest, recipients: list[str], extra: dict | None = None) -> int:
    """Render `approvals/email/<kind>.txt` and queue it to each recipient (registry.emails)."""
    context = {
        "request": obj,
        "vendor": obj.system.vendor,
        "party": obj.party,
        "system": obj.system,
        "link": confirm_url(obj),
        "expires": obj.expires_at,
        **(extra or {}),
    }
    return queue_email(
        f"approvals/email/{kind.replace('.', '_')}.txt", context, recipients, kind=kind, object_id=obj.id
    )


def _access_managers(org: Organisation) -> list[str]:
    """The access managers' own addresses; the organisation's address when none of them has one."""
    emails = [p.email for p in access.access_managers_of(org) if p.email]
    return emails or org.emails


def notify_request_created(request_obj: Request) -> int:
    """E-mail the party's notification address(es) that a vendor asks for a system access, with the link;
    at most one new-request mail (this one or a digest) per vendor and organisation per
    REQUEST_MAIL_INTERVAL_MINUTES, so a vendor can not flood an organisation's inbox. A later request
    waits in the portal's list for the next digest (mail_request_digests)."""
    if _mailed_recently(request_obj.system.vendor, request_obj.party):
        return 0
    queued = _queue("request.created", request_obj, request_obj.party.emails)
    Request.objects.filter(pk=request_obj.pk).update(announced=timezone.now())
    return queued


def _mailed_recently(vendor: Organisation, party: Organisation) -> bool:
    """Did the vendor's requests cause a new-request mail or digest to the organisation this interval?"""
    since = timezone.now() - timedelta(minutes=settings.REQUEST_MAIL_INTERVAL_MINUTES)
    return Request.objects.of_vendor(vendor).for_party(party).filter(announced__gte=since).exists()


def mail_request_digests() -> int:
    """The digest (beat job): the open requests the hourly limit held back, in one mail per vendor and
    organisation once REQUEST_MAIL_INTERVAL_MINUTES have passed since the last one; returns the mails
    queued. A request decided, deleted or timed out meanwhile is left out."""
    waiting = Request.objects.pending().filter(announced__isnull=True).order_by()
    pairs = list(waiting.values_list("system__vendor", "party").distinct())
    queued = 0
    for vendor_id, party_id in pairs:
        with transaction.atomic():
            queued += _mail_digest(vendor_id, party_id)
    return queued


def _mail_digest(vendor_id, party_id) -> int:
    # On the organisation's row, as create_request: a new request at this moment sees the digest, or the
    # digest sees the request's own mail.
    party = Organisation.objects.select_for_update().get(pk=party_id)
    vendor = Organisation.objects.get(pk=vendor_id)
    if _mailed_recently(vendor, party):
        return 0
    waiting = Request.objects.pending().of_vendor(vendor).for_party(party).filter(announced__isnull=True)
    requests = list(waiting.select_related("system").order_by("created"))
    if not requests:
        return 0
    context = {
        "vendor": vendor,
        "party": party,
        "requests": [(r, confirm_url(r)) for r in requests],
        "expires": min(r.expires_at for r in requests),
    }
    queued = queue_email(
        "approvals/email/request_digest.txt",
        context,
        party.emails,
        kind="request.digest",
        object_id=requests[-1].pk,
    )
    Request.objects.filter(pk__in=[r.pk for r in requests]).update(announced=timezone.now())
    return queued


def notify_escalated(request_obj: Request, *, by: Person) -> int:
    """E-mail the party's access managers; the party's own address when none of them has e-mail."""
    return _queue("request.escalated", request_obj, _access_managers(request_obj.party), {"by": by})


def notify_decided(request_obj: Request) -> int:
    """E-mail the vendor's address that the request was accepted or rejected."""
    kind = "request.accepted" if request_obj.status == "Accepted" else "request.rejected"
    return _queue(kind, request_obj, request_obj.system.vendor.emails)


def notify_reminder(request_obj: Request) -> int:
    return _queue("request.reminder", request_obj, request_obj.party.emails)


def notify_change_request_created(change_request: ChangeRequest) -> int:
    """E-mail the owner's access managers (who may approve it) that a vendor asks to change a system
    access, with the link; the owner's own address when none of them has e-mail."""
    extra = {"system_user": change_request.system_user}
    return _queue("changerequest.created", change_request, _access_managers(change_request.party), extra)


def notify_change_reminder(change_request: ChangeRequest) -> int:
    extra = {"system_user": change_request.system_user}
    return _queue("changerequest.reminder", change_request, _access_managers(change_request.party), extra)


def notify_change_decided(change_request: ChangeRequest, *, added=None, removed=None) -> int:
    """E-mail the vendor's address that the change request was approved (with what was added and
    removed, as Grants) or rejected."""
    extra = {"system_user": change_request.system_user}
    if change_request.status == RequestStatus.ACCEPTED:
        extra["added"] = _grant_items(added)
        extra["removed"] = _grant_items(removed)
        kind = "changerequest.approved"
    else:
        kind = "changerequest.rejected"
    return _queue(kind, change_request, change_request.system.vendor.emails, extra)


def _grant_items(grants) -> list[str]:
    """Packages as URNs and rights as resource:action ("*" = every action), as the vendor wrote them."""
    if grants is None:
        return []
    packages = [package_urn(p) for p in grants.packages]
    return packages + [f"{r['resource']}:{r['action'] or '*'}" for r in grants.rights]


def _due(model: type[Request] | type[ChangeRequest]):
    """Created at or before this, an open one times out within REQUEST_REMINDER_DAYS."""
    return model.timeout_cutoff(timezone.now() + timedelta(days=settings.REQUEST_REMINDER_DAYS))


def _remind(open_objects, notify) -> int:
    """Remind once (the outbox queues a kind/object/recipient once), REQUEST_REMINDER_DAYS before the
    time-out; 0 switches reminders off."""
    if settings.REQUEST_REMINDER_DAYS == 0:
        return 0
    queued = 0
    for obj in open_objects.filter(created__lte=_due(open_objects.model)).iterator():
        with transaction.atomic():
            queued += notify(obj)
    return queued


def remind_expiring_requests() -> int:
    requests = Request.objects.pending().select_related("party", "system__vendor")
    return _remind(requests, notify_reminder)


def remind_expiring_change_requests() -> int:
    change_requests = ChangeRequest.objects.pending().filter(system_user__is_deleted=False)
    return _remind(
        change_requests.select_related("system_user__owner", "system_user__system__vendor"), notify_change_reminder
    )

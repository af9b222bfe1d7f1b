"""Which e-mails a request or change request causes, to whom, with what text. Called inside the state
change's transaction; the outbox sends them after commit.

`notify_request_created` and `notify_change_request_created` are for the vendor API: call them in the
transaction that creates the request or change request.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals import flooding
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
    """E-mail the party's notification address(es) that a vendor asks for a system access, with the link
    (at most one per interval: `_announce`)."""
    return _announce(request_obj)


def notify_change_request_created(change_request: ChangeRequest) -> int:
    """E-mail the owner's access managers (who may approve it) that a vendor asks to change a system
    access, with the link; the owner's own address when none of them has e-mail (at most one per
    interval: `_announce`)."""
    return _announce(change_request, {"system_user": change_request.system_user})


@dataclass(frozen=True)
class _Announcement:
    created: str  # the kind of the new-one mail
    digest: str  # the kind of the digest
    recipients: Callable[[Organisation], list[str]]


def _party_emails(org: Organisation) -> list[str]:
    return org.emails


# A request is for the organisation's notification address (who is to decide is not known yet); a change
# request for the access managers of the system access it changes. Other recipients, so each entity has its
# own mail interval and digest.
_ANNOUNCEMENTS = {
    flooding.REQUESTS: _Announcement("request.created", "request.digest", _party_emails),
    flooding.CHANGE_REQUESTS: _Announcement("changerequest.created", "changerequest.digest", _access_managers),
}


def _announce(obj: Request | ChangeRequest, extra: dict | None = None) -> int:
    """The new-one mail: at most one (this one or a digest) per entity, vendor and organisation per
    REQUEST_MAIL_INTERVAL_MINUTES, so a vendor can not flood an organisation's inbox. A later one waits
    in the portal's lists for the next digest (mail_request_digests)."""
    entity = flooding.entity_of(obj)
    if flooding.mailed_recently(entity, obj.system.vendor, obj.party):
        return 0
    announcement = _ANNOUNCEMENTS[entity]
    queued = _queue(announcement.created, obj, announcement.recipients(obj.party), extra)
    entity.model.objects.filter(pk=obj.pk).update(announced=timezone.now())
    return queued


def mail_request_digests() -> int:
    """The digest (beat job): the open requests and change requests the mail interval held back, in one
    mail per entity, vendor and organisation once REQUEST_MAIL_INTERVAL_MINUTES have passed since the last
    one; returns the mails queued. One decided, deleted or timed out meanwhile is left out."""
    queued = 0
    for entity in flooding.ENTITIES:
        waiting = entity.open_ones().filter(announced__isnull=True).order_by()
        for vendor_id, party_id in list(waiting.values_list(entity.vendor_field, entity.party_field).distinct()):
            with transaction.atomic():
                queued += _mail_digest(entity, vendor_id, party_id)
    return queued


def _mail_digest(entity: flooding.Entity, vendor_id, party_id) -> int:
    # On the organisation's row, as a new one is made: a new one at this moment sees the digest, or the
    # digest sees the new one's own mail.
    party = Organisation.objects.get(pk=party_id)
    Organisation.objects.take_turns(party)
    vendor = Organisation.objects.get(pk=vendor_id)
    if flooding.mailed_recently(entity, vendor, party):
        return 0
    waiting = entity.of(vendor, party, only_open=True).filter(announced__isnull=True)
    items = list(waiting.select_related(entity.related).order_by("created"))
    if not items:
        return 0
    announcement = _ANNOUNCEMENTS[entity]
    context = {
        "vendor": vendor,
        "party": party,
        "items": [(item, confirm_url(item)) for item in items],
        "expires": min(item.expires_at for item in items),
    }
    queued = queue_email(
        f"approvals/email/{announcement.digest.replace('.', '_')}.txt",
        context,
        announcement.recipients(party),
        kind=announcement.digest,
        object_id=items[-1].pk,
    )
    entity.model.objects.filter(pk__in=[item.pk for item in items]).update(announced=timezone.now())
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

"""Which e-mails a request causes, to whom, with what text. Called inside the state change's
transaction; the outbox sends them after commit.

`notify_request_created` is for the vendor API: call it in the transaction that creates a request.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from approvals.models import Request, RequestKind
from approvals.outbox import queue_notification
from registry import access
from registry.models import Person


def confirm_url(request_obj: Request) -> str:
    """The approval link (CONTRACT §2.2 `confirmUrl`)."""
    path = "/systemuser/agentrequest" if request_obj.kind == RequestKind.AGENT else "/systemuser/request"
    return f"{settings.PORTAL_BASE_URL}{path}?id={request_obj.id}"


def expires_at(request_obj: Request):
    return request_obj.created + timedelta(days=settings.REQUEST_TIMEOUT_DAYS)


def _queue(kind: str, request_obj: Request, recipients: list[str], extra: dict | None = None) -> int:
    """Render `approvals/email/<kind>.txt` (first line: subject) and queue it to each recipient."""
    context = {
        "request": request_obj,
        "vendor": request_obj.system.vendor,
        "party": request_obj.party,
        "link": confirm_url(request_obj),
        "expires": expires_at(request_obj),
        **(extra or {}),
    }
    # Mail goes out in the portal's default language; the recipient has no session to choose one.
    with translation.override(settings.LANGUAGE_CODE):
        context["system_name"] = request_obj.system.display_name
        text = render_to_string(f"approvals/email/{kind.replace('.', '_')}.txt", context)
    subject, _, body = text.strip().partition("\n")
    queued = 0
    for recipient in dict.fromkeys(r.strip() for r in recipients if r and r.strip()):
        if queue_notification(
            kind=kind, recipient=recipient, subject=subject.strip(), body=body.strip() + "\n", object_id=request_obj.id
        ):
            queued += 1
    return queued


def notify_request_created(request_obj: Request) -> int:
    """E-mail the party's notification address(es) that a vendor asks for a system access, with the link."""
    return _queue("request.created", request_obj, request_obj.party.emails)


def notify_escalated(request_obj: Request, *, by: Person) -> int:
    """E-mail the party's access managers; the party's own address when none of them has e-mail."""
    emails = [p.email for p in access.access_managers_of(request_obj.party) if p.email]
    return _queue("request.escalated", request_obj, emails or request_obj.party.emails, {"by": by})


def notify_decided(request_obj: Request) -> int:
    """E-mail the vendor's address that the request was accepted or rejected."""
    kind = "request.accepted" if request_obj.status == "Accepted" else "request.rejected"
    return _queue(kind, request_obj, request_obj.system.vendor.emails)


def notify_reminder(request_obj: Request) -> int:
    return _queue("request.reminder", request_obj, request_obj.party.emails)


def remind_expiring_requests() -> int:
    """Remind each party once, REQUEST_REMINDER_DAYS before its open request times out (0 = never)."""
    if settings.REQUEST_REMINDER_DAYS == 0:
        return 0
    due = timezone.now() - timedelta(days=settings.REQUEST_TIMEOUT_DAYS - settings.REQUEST_REMINDER_DAYS)
    queued = 0
    for request_obj in (
        Request.objects.pending().filter(created__lte=due).select_related("party", "system__vendor").iterator()
    ):
        with transaction.atomic():
            queued += notify_reminder(request_obj)
    return queued

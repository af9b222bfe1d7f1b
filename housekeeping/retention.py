"""Data retention: blank or delete personal data that has been kept as long as the settings allow.

One function per kind of data, each run by `purge_expired_data` (management command and a daily beat
job). Each works in batches of RETENTION_BATCH_SIZE rows, one short transaction per batch, so a first
run on a big database never holds locks for long; and each writes one summary audit event per run
(actor `system:retention`) when it changed anything.

Safe to run twice, or from two processes at once: every batch re-applies its condition in the same
statement that writes (a row that stopped qualifying is left alone), a blanked or deleted row no longer
qualifies, and on PostgreSQL each batch locks its rows with SKIP LOCKED, so two runs share the work
instead of waiting on (or deadlocking with) each other. The counts of both runs add up to what went.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.models import ChangeRequest, Request, RequestStatus
from maskinporten.grants import PURGE_INTERVAL_SECONDS
from maskinporten.models import UsedGrant
from portal.models import ActorVisit, OidcSession
from registry import audit
from registry.models import (
    AuditEvent,
    ClientDelegation,
    Notification,
    NotificationStatus,
    SystemUser,
    SystemUserPackage,
    SystemUserRight,
    SystemUserUsage,
    TokenRefusal,
    VendorEvent,
)

logger = logging.getLogger(__name__)

ACTOR = "system:retention"


@dataclass
class Outcome:
    """What one kind's run blanked or deleted (or, in a dry run, would have)."""

    kind: str
    action: str  # "blanked" or "deleted"
    count: int = 0
    older_than: datetime | None = None
    related: dict[str, int] = field(default_factory=dict)  # rows deleted with them (deleted system users)

    def as_json(self) -> dict:
        older_than = self.older_than.isoformat() if self.older_than else None
        return {"action": self.action, "count": self.count, "older_than": older_than, **self.related}


def _days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def _in_batches(
    outcome: Outcome, rows: QuerySet, write: Callable[[QuerySet], dict[str, int]], *, days: int | None
) -> Outcome:
    """Call `write` on the qualifying rows, at most RETENTION_BATCH_SIZE at a time, each batch in its own
    transaction; `write` returns what it changed ("count", and rows deleted with them), added to `outcome`
    once its batch has committed. Keyset order (primary key) reads each row once even when a batch only
    blanks a column. A run stopped by an error still writes its summary of the batches before it."""
    last = None
    rows = rows.order_by("pk")
    try:
        while True:
            with transaction.atomic():
                page = rows if last is None else rows.filter(pk__gt=last)
                locked = page.select_for_update(skip_locked=True, of=("self",))
                pks = list(locked.values_list("pk", flat=True)[: settings.RETENTION_BATCH_SIZE])
                if not pks:
                    break
                done = write(rows.filter(pk__in=pks))
            outcome.count += done.pop("count")
            for name, n in done.items():
                outcome.related[name] += n
            last = pks[-1]
    except BaseException:
        try:
            _summarise(outcome, days=days)
        except Exception:
            logger.exception(
                "retention: %s stopped after %s %s; no summary event", outcome.kind, outcome.count, outcome.action
            )
        raise
    _summarise(outcome, days=days)
    return outcome


def _summarise(outcome: Outcome, *, days: int | None) -> None:
    """The one audit event of a run that changed something; the log line either way."""
    logger.info("retention: %s %s %s", outcome.kind, outcome.action, outcome.count)
    if outcome.count:
        audit.record(
            "retention.purged",
            actor=ACTOR,
            object_type="retention",
            object_id=outcome.kind,
            data={"kind": outcome.kind, **outcome.as_json(), "days": days},
        )


def _blank(kind: str, rows: QuerySet, values: dict, *, days: int, cutoff: datetime, dry_run: bool) -> Outcome:
    outcome = Outcome(kind, "blanked", older_than=cutoff)
    if dry_run:
        outcome.count = rows.count()
        return outcome
    return _in_batches(outcome, rows, lambda batch: {"count": batch.update(**values)}, days=days)


def _delete(kind: str, rows: QuerySet, *, days: int | None, cutoff: datetime, dry_run: bool) -> Outcome:
    outcome = Outcome(kind, "deleted", older_than=cutoff)
    if dry_run:
        outcome.count = rows.count()
        return outcome
    label = rows.model._meta.label
    return _in_batches(outcome, rows, lambda batch: {"count": batch.delete()[1].get(label, 0)}, days=days)


# --- Audit events -------------------------------------------------------------------------------


def blank_audit_ips(*, dry_run: bool = False) -> Outcome:
    """Audit events keep who did what; the IP address they came from goes after RETENTION_AUDIT_IP_DAYS."""
    days = settings.RETENTION_AUDIT_IP_DAYS
    cutoff = _days_ago(days)
    rows = AuditEvent.objects.filter(at__lt=cutoff, ip__isnull=False)
    return _blank("audit_ips", rows, {"ip": None}, days=days, cutoff=cutoff, dry_run=dry_run)


def delete_old_audit_events(*, dry_run: bool = False) -> Outcome:
    """Audit events older than RETENTION_AUDIT_EVENT_DAYS; 0 keeps them for ever."""
    days = settings.RETENTION_AUDIT_EVENT_DAYS
    if days == 0:
        return Outcome("audit_events", "deleted")
    cutoff = _days_ago(days)
    return _delete("audit_events", AuditEvent.objects.filter(at__lt=cutoff), days=days, cutoff=cutoff, dry_run=dry_run)


def delete_old_token_events(*, dry_run: bool = False) -> Outcome:
    """Token audit events (`token.issued`, `token.refused`) older than RETENTION_TOKEN_EVENT_DAYS: versions
    before usage counting wrote one per token request. Their own, shorter period: they are traffic."""
    days = settings.RETENTION_TOKEN_EVENT_DAYS
    cutoff = _days_ago(days)
    rows = AuditEvent.objects.filter(action__startswith="token.", at__lt=cutoff)
    return _delete("token_events", rows, days=days, cutoff=cutoff, dry_run=dry_run)


# --- Usage (registry.usage) ---------------------------------------------------------------------


def delete_old_usage(*, dry_run: bool = False) -> Outcome:
    """Hourly token counters older than RETENTION_USAGE_DAYS (a system user unused for longer shows "not
    used")."""
    days = settings.RETENTION_USAGE_DAYS
    cutoff = _days_ago(days)
    rows = SystemUserUsage.objects.filter(hour__lt=cutoff)
    return _delete("usage", rows, days=days, cutoff=cutoff, dry_run=dry_run)


def delete_old_token_refusals(*, dry_run: bool = False) -> Outcome:
    """Refusal rows whose last refusal is older than RETENTION_USAGE_DAYS."""
    days = settings.RETENTION_USAGE_DAYS
    cutoff = _days_ago(days)
    rows = TokenRefusal.objects.filter(last_at__lt=cutoff)
    return _delete("token_refusals", rows, days=days, cutoff=cutoff, dry_run=dry_run)


# --- Notifications (the e-mail outbox) ----------------------------------------------------------


def blank_notification_bodies(*, dry_run: bool = False) -> Outcome:
    """Sent mail's body (names, addresses) and last error, RETENTION_NOTIFICATION_BODY_DAYS after sending.
    Pending and failed mail is kept whole until it is sent: staff may still need to send it again."""
    days = settings.RETENTION_NOTIFICATION_BODY_DAYS
    cutoff = _days_ago(days)
    rows = Notification.objects.filter(status=NotificationStatus.SENT, sent_at__lt=cutoff).filter(
        ~Q(body="") | ~Q(last_error="")
    )
    return _blank(
        "notification_bodies", rows, {"body": "", "last_error": ""}, days=days, cutoff=cutoff, dry_run=dry_run
    )


def delete_sent_notifications(*, dry_run: bool = False) -> Outcome:
    """Sent mail's rows (recipient, subject), RETENTION_NOTIFICATION_DAYS after sending. Settings make
    this longer than REQUEST_TIMEOUT_DAYS: the row is also what stops a reminder from going out twice."""
    days = settings.RETENTION_NOTIFICATION_DAYS
    cutoff = _days_ago(days)
    rows = Notification.objects.filter(status=NotificationStatus.SENT, sent_at__lt=cutoff)
    return _delete("notifications", rows, days=days, cutoff=cutoff, dry_run=dry_run)


# --- Vendor events (the feed and webhook deliveries) --------------------------------------------


def delete_old_vendor_events(*, dry_run: bool = False) -> Outcome:
    """Vendor events older than RETENTION_VENDOR_EVENT_DAYS, with their webhook deliveries and attempts.
    A feed cursor stays valid: the feed lists what comes after it, whatever was deleted before."""
    days = settings.RETENTION_VENDOR_EVENT_DAYS
    cutoff = _days_ago(days)
    rows = VendorEvent.objects.filter(time__lt=cutoff)
    return _delete("vendor_events", rows, days=days, cutoff=cutoff, dry_run=dry_run)


# --- Requests and change requests ---------------------------------------------------------------


def _closed_before(cutoff: datetime) -> Q:
    """Decided, timed out, NoChangeNeeded or deleted by the vendor, and closed before `cutoff`: from the
    decision (or time-out), or from creation for rows never decided (NoChangeNeeded, deleted while New).
    An open request is never taken: one past its time-out is first marked Timedout (hourly beat)."""
    closed = ~Q(status=RequestStatus.NEW) | Q(is_deleted=True)
    old = Q(decided_at__lt=cutoff) | Q(decided_at__isnull=True, created__lt=cutoff)
    return closed & old


def delete_closed_requests(*, dry_run: bool = False) -> Outcome:
    days = settings.RETENTION_REQUEST_DAYS
    cutoff = _days_ago(days)
    rows = Request.objects.filter(_closed_before(cutoff))
    return _delete("requests", rows, days=days, cutoff=cutoff, dry_run=dry_run)


def delete_closed_change_requests(*, dry_run: bool = False) -> Outcome:
    days = settings.RETENTION_REQUEST_DAYS
    cutoff = _days_ago(days)
    rows = ChangeRequest.objects.filter(_closed_before(cutoff))
    return _delete("change_requests", rows, days=days, cutoff=cutoff, dry_run=dry_run)


# --- Deleted system users -----------------------------------------------------------------------

_SYSTEM_USER_ROWS = {
    "change_requests": ChangeRequest,
    "packages": SystemUserPackage,
    "rights": SystemUserRight,
    "client_delegations": ClientDelegation,
    "usage": SystemUserUsage,
}


def delete_deleted_system_users(*, dry_run: bool = False) -> Outcome:
    """System users soft-deleted more than RETENTION_DELETED_SYSTEM_USER_DAYS ago, with their packages,
    rights, client delegations, change requests and usage counters. Their audit events stay: audit events point at a
    system user by id only (no foreign key), so nothing cascades into the legal record."""
    days = settings.RETENTION_DELETED_SYSTEM_USER_DAYS
    cutoff = _days_ago(days)
    rows = SystemUser.objects.filter(is_deleted=True, deleted_at__lt=cutoff)
    outcome = Outcome("deleted_system_users", "deleted", older_than=cutoff)
    outcome.related = dict.fromkeys(_SYSTEM_USER_ROWS, 0)
    if dry_run:
        outcome.count = rows.count()
        for name, model in _SYSTEM_USER_ROWS.items():
            outcome.related[name] = model.objects.filter(system_user__in=rows).count()
        return outcome

    def delete(batch: QuerySet) -> dict[str, int]:
        # Change requests PROTECT their system user: they go first, in the same transaction.
        _, deleted = ChangeRequest.objects.filter(system_user__in=batch).delete()
        deleted = deleted | batch.delete()[1]
        done = {name: deleted.get(model._meta.label, 0) for name, model in _SYSTEM_USER_ROWS.items()}
        return {"count": deleted.get(SystemUser._meta.label, 0), **done}

    return _in_batches(outcome, rows, delete, days=days)


# --- Sessions and used grant ids ----------------------------------------------------------------


def delete_expired_sessions(*, dry_run: bool = False) -> Outcome:
    """Django sessions past their expiry (they hold the person's login and ID-porten id_token)."""
    now = timezone.now()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, db_sessions.SessionStore):  # db, cached_db and ours (config/sessions.py)
        # Cache sessions expire on their own; file sessions are cleared by their engine; a signed
        # cookie lives only in the browser.
        if not dry_run:
            store.clear_expired()
        return Outcome("sessions", "deleted", older_than=now)
    return _delete("sessions", Session.objects.filter(expire_date__lt=now), days=None, cutoff=now, dry_run=dry_run)


def delete_old_oidc_sessions(*, dry_run: bool = False) -> Outcome:
    """Which portal session came from which ID-porten session: useless once the session could have expired."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = OidcSession.objects.filter(created__lt=cutoff)
    return _delete("oidc_sessions", rows, days=None, cutoff=cutoff, dry_run=dry_run)


def delete_old_actor_visits(*, dry_run: bool = False) -> Outcome:
    """When a person last began acting for an organisation, RETENTION_ACTOR_VISIT_DAYS after that visit:
    the act-for page's recent list forgets organisations not chosen for so long."""
    days = settings.RETENTION_ACTOR_VISIT_DAYS
    cutoff = _days_ago(days)
    return _delete("actor_visits", ActorVisit.objects.filter(at__lt=cutoff), days=days, cutoff=cutoff, dry_run=dry_run)


def delete_used_grants(*, dry_run: bool = False) -> Outcome:
    """Used grant ids (replay protection) whose grants have expired; the token endpoint also does this
    as it goes, this catches up when there is no token traffic."""
    cutoff = timezone.now() - timedelta(seconds=PURGE_INTERVAL_SECONDS)
    rows = UsedGrant.objects.filter(expires_at__lt=cutoff)
    return _delete("used_grants", rows, days=None, cutoff=cutoff, dry_run=dry_run)


# Blanking runs before the deleting of the same rows, so that each count of a dry run (which counts each
# kind on its own) is what the real run then does.
KINDS: dict[str, Callable[..., Outcome]] = {
    "audit_ips": blank_audit_ips,
    "audit_events": delete_old_audit_events,
    "token_events": delete_old_token_events,
    "usage": delete_old_usage,
    "token_refusals": delete_old_token_refusals,
    "notification_bodies": blank_notification_bodies,
    "notifications": delete_sent_notifications,
    "vendor_events": delete_old_vendor_events,
    "requests": delete_closed_requests,
    "change_requests": delete_closed_change_requests,
    "deleted_system_users": delete_deleted_system_users,
    "sessions": delete_expired_sessions,
    "oidc_sessions": delete_old_oidc_sessions,
    "actor_visits": delete_old_actor_visits,
    "used_grants": delete_used_grants,
}


def purge_expired_data(*, only: list[str] | None = None, dry_run: bool = False) -> dict[str, Outcome]:
    """Run every kind (or those in `only`, in KINDS order); what each blanked or deleted, by kind."""
    unknown = set(only or ()) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown kind: {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}")
    return {kind: run(dry_run=dry_run) for kind, run in KINDS.items() if not only or kind in only}

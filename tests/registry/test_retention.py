"""Data retention (housekeeping/retention.py): for each kind, what is older than its period goes and what is
younger stays; one summary audit event per kind and run; a dry run changes nothing; a second run finds
nothing more. Runs on SQLite locally and on PostgreSQL in CI."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DatabaseError
from django.db.models import QuerySet
from django.utils import timezone

from approvals.models import ChangeRequest, Request, RequestStatus
from approvals.system_user_requests import get_request
from housekeeping import retention
from lib.errors import ServiceError
from maskinporten.models import UsedGrant
from portal.models import ActorVisit, OidcSession
from registry import audit, usage
from registry.models import (
    AuditEvent,
    ClientDelegation,
    Notification,
    NotificationStatus,
    SystemUser,
    SystemUserPackage,
    SystemUserRight,
    SystemUserType,
    SystemUserUsage,
    TokenRefusal,
)
from registry.services.lifecycle import delete_system_user
from tests import factories as f
from tests.approvals.conftest import make_request
from tests.authorization.conftest import make_system_user


def ago(days: float):
    return timezone.now() - timedelta(days=days)


def login_event(person, *, days: float, ip: str | None = "192.0.2.10") -> AuditEvent:
    event = audit.record("person.login", actor=audit.person_actor(person), actor_person=person, ip=ip)
    AuditEvent.objects.filter(pk=event.pk).update(at=ago(days))
    return event


def mail(status: str = NotificationStatus.SENT, *, sent_days: float | None = None, created_days: float = 0):
    sent_at = ago(sent_days) if sent_days is not None else None
    return Notification.objects.create(
        kind="request.escalated",
        recipient="kari@bakeriet.example",
        subject="En forespørsel om systemtilgang venter på deg",
        body="Hei,\nOla Ansatt ber deg se på en forespørsel.\n",
        object_id=str(uuid.uuid4()),
        status=status,
        sent_at=sent_at,
        created=ago(created_days or sent_days or 0),
        last_error="550 mailbox kari@bakeriet.example full" if status != NotificationStatus.SENT else "",
    )


def deleted_system_user(owner, system, *, days: float, **kwargs) -> SystemUser:
    system_user = make_system_user(owner, system, **kwargs)
    delete_system_user(system_user_id=system_user.pk, by=None, actor="staff:support")
    SystemUser.objects.filter(pk=system_user.pk).update(deleted_at=ago(days))
    return system_user


def change_request(system_user, status=RequestStatus.REJECTED, *, created_days: float, decided_days: float | None):
    decided_at = ago(decided_days) if decided_days is not None else None
    return ChangeRequest.objects.create(
        id=uuid.uuid4(), system_user=system_user, status=status, created=ago(created_days), decided_at=decided_at
    )


@dataclass
class World:
    """One row of each kind just past its period (`old_*`) and one just inside it (`young_*`)."""

    person: object
    old_ip: AuditEvent
    young_ip: AuditEvent
    ancient_event: AuditEvent
    old_sent: Notification
    young_sent: Notification
    ancient_sent: Notification
    old_failed: Notification
    old_pending: Notification
    old_accepted: Request
    recently_decided: Request
    old_deleted_new: Request
    old_open: Request
    old_change: ChangeRequest
    old_no_change: ChangeRequest
    recent_change: ChangeRequest
    live: SystemUser
    old_deleted: SystemUser
    old_deleted_agent: SystemUser
    recently_deleted: SystemUser


@pytest.fixture
def world(customer, accounting_firm, system, vendor) -> World:
    person = f.make_person("Kari Nordmann")
    ip_days, event_days = settings.RETENTION_AUDIT_IP_DAYS, settings.RETENTION_AUDIT_EVENT_DAYS
    body_days, mail_days = settings.RETENTION_NOTIFICATION_BODY_DAYS, settings.RETENTION_NOTIFICATION_DAYS
    request_days, su_days = settings.RETENTION_REQUEST_DAYS, settings.RETENTION_DELETED_SYSTEM_USER_DAYS

    def request(ref, status, *, created_days, decided_days=None, **fields):
        row = make_request(system, customer, external_ref=ref, status=status, **fields)
        decided_at = ago(decided_days) if decided_days is not None else None
        Request.objects.filter(pk=row.pk).update(created=ago(created_days), decided_at=decided_at)
        return row

    live = make_system_user(customer, system, packages=["skatt-naering"], rights=[("ske-krav-og-betalinger", "read")])
    old_deleted = deleted_system_user(
        f.make_org("Gamle Klienten AS"),
        system,
        days=su_days + 1,
        packages=["skatt-naering"],
        rights=[("ske-krav-og-betalinger", "read")],
    )
    agent_system = f.make_system(vendor, "byraa", packages=["regnskapsforer-med-signeringsrettighet"])
    old_deleted_agent = deleted_system_user(
        accounting_firm,
        agent_system,
        days=su_days + 1,
        packages=["regnskapsforer-med-signeringsrettighet"],
        user_type=SystemUserType.AGENT,
    )
    ClientDelegation.objects.create(system_user=old_deleted_agent, client=customer, role_code="REGN", packages=[])
    return World(
        person=person,
        old_ip=login_event(person, days=ip_days + 1),
        young_ip=login_event(person, days=ip_days - 1),
        ancient_event=login_event(person, days=event_days + 1),
        old_sent=mail(sent_days=body_days + 1),
        young_sent=mail(sent_days=body_days - 1),
        ancient_sent=mail(sent_days=mail_days + 1),
        old_failed=mail(NotificationStatus.FAILED, created_days=mail_days + 1),
        old_pending=mail(NotificationStatus.PENDING, created_days=mail_days + 1),
        old_accepted=request("a", RequestStatus.ACCEPTED, created_days=request_days + 5, decided_days=request_days + 1),
        recently_decided=request("b", RequestStatus.REJECTED, created_days=request_days + 50, decided_days=3),
        old_deleted_new=request("c", RequestStatus.NEW, created_days=request_days + 1, is_deleted=True),
        old_open=request("d", RequestStatus.NEW, created_days=request_days + 1),
        old_change=change_request(live, created_days=request_days + 9, decided_days=request_days + 1),
        old_no_change=change_request(
            live, RequestStatus.NO_CHANGE_NEEDED, created_days=request_days + 1, decided_days=None
        ),
        recent_change=change_request(live, RequestStatus.ACCEPTED, created_days=request_days + 9, decided_days=1),
        live=live,
        old_deleted=old_deleted,
        old_deleted_agent=old_deleted_agent,
        recently_deleted=deleted_system_user(
            f.make_org("Nyss Sluttet AS"), system, days=su_days - 1, packages=["skatt-naering"]
        ),
    )


def exists(row) -> bool:
    return type(row).objects.filter(pk=row.pk).exists()


def fresh(row):
    return type(row).objects.get(pk=row.pk)


def summary(kind: str) -> AuditEvent:
    return AuditEvent.objects.get(action="retention.purged", object_id=kind)


# --- Token traffic: its own, shorter periods ---


def test_token_audit_events_go_after_their_own_shorter_period_other_events_stay(world, settings):
    days = settings.RETENTION_TOKEN_EVENT_DAYS
    old = audit.record("token.issued", actor="client:c", object_type="systemuser", object_id=world.live.pk)
    young = audit.record("token.refused", actor="client:c", object_type="client", object_id="c")
    AuditEvent.objects.filter(pk=old.pk).update(at=ago(days + 1))
    AuditEvent.objects.filter(pk=young.pk).update(at=ago(days - 1))
    assert retention.delete_old_token_events().count == 1
    assert not exists(old) and exists(young)
    assert exists(world.old_ip)  # a person's event as old as the token event stays
    assert summary("token_events").data["days"] == days


def test_usage_counters_and_refusals_go_after_the_usage_period(world, settings):
    days = settings.RETENTION_USAGE_DAYS
    usage.record_token(system_user_id=world.live.pk, client_id="c", at=ago(days + 1))
    usage.record_token(system_user_id=world.live.pk, client_id="c", at=ago(days - 1))
    usage.record_refusal(client_id="c", party_orgno="310000752", reason="replayed", at=ago(days + 1))
    usage.record_refusal(client_id="c", party_orgno="310000752", reason="other", at=ago(days + 1))
    usage.record_refusal(client_id="c", party_orgno="310000752", reason="other")  # refused again today: stays
    assert retention.delete_old_usage().count == 1
    assert SystemUserUsage.objects.get().hour > ago(days)
    assert retention.delete_old_token_refusals().count == 1
    assert list(TokenRefusal.objects.values_list("reason", "count")) == [("other", 2)]


# --- Audit events ---


def test_an_audit_events_ip_is_blanked_after_its_period_and_the_event_kept(world):
    outcome = retention.blank_audit_ips()
    assert fresh(world.old_ip).ip is None
    assert fresh(world.old_ip).actor_person == world.person  # who did what stays
    assert fresh(world.young_ip).ip == "192.0.2.10"
    assert outcome.count == 2  # the ancient event's too
    assert summary("audit_ips").data["count"] == 2


def test_audit_events_older_than_their_period_are_deleted(world):
    assert retention.delete_old_audit_events().count == 1
    assert not exists(world.ancient_event)
    assert exists(world.old_ip) and exists(world.young_ip)


def test_audit_events_are_kept_for_ever_when_their_period_is_zero(world, settings):
    settings.RETENTION_AUDIT_EVENT_DAYS = 0
    assert retention.delete_old_audit_events().count == 0
    assert exists(world.ancient_event)
    assert not AuditEvent.objects.filter(action="retention.purged").exists()


def test_the_summary_event_names_the_actor_the_kind_the_counts_and_the_cut_off(world):
    retention.blank_audit_ips()
    event = summary("audit_ips")
    assert event.actor == "system:retention" and event.actor_person is None and event.ip is None
    assert event.object_type == "retention"
    assert event.data["kind"] == "audit_ips" and event.data["action"] == "blanked"
    assert event.data["days"] == settings.RETENTION_AUDIT_IP_DAYS
    assert event.data["older_than"][:10] == ago(settings.RETENTION_AUDIT_IP_DAYS).date().isoformat()


# --- Notifications ---


def test_sent_mail_loses_its_body_after_its_period_and_its_row_after_a_year(world):
    assert retention.blank_notification_bodies().count == 2  # old_sent and ancient_sent
    assert fresh(world.old_sent).body == "" and fresh(world.old_sent).recipient == "kari@bakeriet.example"
    assert "Ola Ansatt" in fresh(world.young_sent).body
    assert retention.delete_sent_notifications().count == 1
    assert not exists(world.ancient_sent)
    assert exists(world.old_sent) and exists(world.young_sent)


def test_failed_and_pending_mail_is_kept_whole_until_it_is_sent(world):
    retention.purge_expired_data()
    for row in (world.old_failed, world.old_pending):
        kept = fresh(row)
        assert "Ola Ansatt" in kept.body and "mailbox" in kept.last_error


# --- Requests and change requests ---


def test_closed_requests_are_deleted_their_period_after_the_decision(world, vendor):
    assert retention.delete_closed_requests().count == 2
    assert not exists(world.old_accepted) and not exists(world.old_deleted_new)
    assert exists(world.recently_decided)  # created long ago, decided three days ago
    assert exists(world.old_open)  # still New: time_out_requests marks it first, and its period starts then
    with pytest.raises(ServiceError) as error:
        get_request(str(world.old_accepted.pk), kind="standard", vendor=vendor)
    assert error.value.code == "AUTH-00010"
    assert summary("requests").data["count"] == 2


def test_closed_change_requests_are_deleted_their_period_after_the_decision(world):
    assert retention.delete_closed_change_requests().count == 2
    assert not exists(world.old_change) and not exists(world.old_no_change)
    assert exists(world.recent_change)
    assert exists(world.live)


# --- Soft-deleted system users ---


def test_system_users_deleted_long_ago_go_with_their_rights_and_delegations(world):
    old_pks = [world.old_deleted.pk, world.old_deleted_agent.pk]
    stale_change = change_request(world.old_deleted, RequestStatus.NEW, created_days=1, decided_days=None)
    usage.record_token(system_user_id=world.old_deleted.pk, client_id="c", at=ago(200))
    outcome = retention.delete_deleted_system_users()
    assert outcome.count == 2
    assert not SystemUser.objects.filter(pk__in=old_pks).exists()
    assert not SystemUserPackage.objects.filter(system_user_id__in=old_pks).exists()
    assert not SystemUserRight.objects.filter(system_user_id__in=old_pks).exists()
    assert not ClientDelegation.objects.filter(system_user_id__in=old_pks).exists()
    assert not exists(stale_change)
    assert not SystemUserUsage.objects.exists()
    assert outcome.related == {"change_requests": 1, "packages": 2, "rights": 1, "client_delegations": 1, "usage": 1}
    assert summary("deleted_system_users").data | {"older_than": None} == {
        "kind": "deleted_system_users",
        "action": "deleted",
        "count": 2,
        "older_than": None,
        "days": settings.RETENTION_DELETED_SYSTEM_USER_DAYS,
        "change_requests": 1,
        "packages": 2,
        "rights": 1,
        "client_delegations": 1,
        "usage": 1,
    }


def test_a_purged_system_user_keeps_its_audit_trail(world):
    trail = list(world.old_deleted.audit_trail().values_list("pk", "action"))
    assert ("systemuser.deleted" in {action for _, action in trail}) and trail
    retention.delete_deleted_system_users()
    left = AuditEvent.objects.filter(object_type="systemuser", object_id=str(world.old_deleted.pk))
    assert list(left.values_list("pk", "action")) == trail


def test_live_and_recently_deleted_system_users_are_untouched(world):
    retention.delete_deleted_system_users()
    live = fresh(world.live)
    assert not live.is_deleted
    assert list(live.packages.values_list("package_id", flat=True)) == ["skatt-naering"]
    assert live.rights.count() == 1 and live.change_requests.count() == 3
    assert exists(world.recently_deleted) and fresh(world.recently_deleted).packages.count() == 1


# --- Sessions and used grant ids ---


def test_expired_sessions_go_and_live_ones_stay(db):
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=ago(1))
    Session.objects.create(session_key="b" * 32, session_data="x", expire_date=ago(-1))
    assert retention.delete_expired_sessions().count == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]


def test_oidc_session_rows_go_once_their_session_could_have_expired(db, settings):
    person = f.make_person()
    old = OidcSession.objects.create(sid="sid-1", session_key="a" * 32, person=person)
    young = OidcSession.objects.create(sid="sid-2", session_key="b" * 32, person=person)
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    OidcSession.objects.filter(pk=old.pk).update(created=timezone.now() - age - timedelta(minutes=1))
    OidcSession.objects.filter(pk=young.pk).update(created=timezone.now() - age + timedelta(minutes=1))
    assert retention.delete_old_oidc_sessions().count == 1
    assert list(OidcSession.objects.values_list("sid", flat=True)) == ["sid-2"]


def test_act_for_visits_go_a_period_after_the_last_one(db, settings):
    settings.RETENTION_ACTOR_VISIT_DAYS = 30
    person = f.make_person()
    old, young = f.make_org("Gammel AS"), f.make_org("Ung AS")
    ActorVisit.objects.create(person=person, org=old, at=ago(31))
    ActorVisit.objects.create(person=person, org=young, at=ago(29))
    assert retention.delete_old_actor_visits(dry_run=True).count == 1
    assert ActorVisit.objects.count() == 2
    assert retention.delete_old_actor_visits().count == 1
    assert list(ActorVisit.objects.values_list("org__name", flat=True)) == ["Ung AS"]


def test_used_grant_ids_of_expired_grants_go(db):
    UsedGrant.objects.create(client_id="c", jti="old", expires_at=ago(1))
    UsedGrant.objects.create(client_id="c", jti="live", expires_at=ago(-1))
    assert retention.delete_used_grants().count == 1
    assert list(UsedGrant.objects.values_list("jti", flat=True)) == ["live"]


def test_sessions_kept_by_a_cache_engine_are_left_to_it(db, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=ago(1))
    assert retention.delete_expired_sessions().count == 0
    assert Session.objects.count() == 1


# --- Every kind at once ---


def counts(outcomes) -> dict[str, int]:
    return {kind: outcome.count for kind, outcome in outcomes.items()}


def test_a_dry_run_counts_what_would_go_and_changes_nothing(world):
    before = {
        model: sorted(map(str, model.objects.values_list("pk", flat=True)))
        for model in (AuditEvent, Notification, Request, ChangeRequest, SystemUser, SystemUserPackage)
    }
    ips = AuditEvent.objects.filter(ip__isnull=False).count()
    planned = counts(retention.purge_expired_data(dry_run=True))
    assert planned["audit_ips"] == 2 and planned["deleted_system_users"] == 2
    assert {model: sorted(map(str, model.objects.values_list("pk", flat=True))) for model in before} == before
    assert AuditEvent.objects.filter(ip__isnull=False).count() == ips
    assert "Ola Ansatt" in fresh(world.old_sent).body
    assert not AuditEvent.objects.filter(action="retention.purged").exists()
    # What the dry run promised is what the real run does.
    assert counts(retention.purge_expired_data()) == planned


def test_a_second_run_removes_nothing_more_and_writes_no_event(world):
    first = counts(retention.purge_expired_data())
    assert first == {
        "audit_ips": 2,  # blanked first, so the dry run's count holds
        "audit_events": 1,
        "token_events": 0,
        "usage": 0,
        "token_refusals": 0,
        "notification_bodies": 2,
        "notifications": 1,
        "vendor_events": 0,  # tests/events/test_event_triggers.py has its own
        "requests": 2,
        "change_requests": 2,
        "deleted_system_users": 2,
        "sessions": 0,
        "oidc_sessions": 0,
        "actor_visits": 0,
        "used_grants": 0,
    }
    events = AuditEvent.objects.filter(action="retention.purged").count()
    assert events == sum(1 for n in first.values() if n)
    assert set(counts(retention.purge_expired_data()).values()) == {0}
    assert AuditEvent.objects.filter(action="retention.purged").count() == events


def test_small_batches_take_everything_and_write_one_event(db, settings):
    settings.RETENTION_BATCH_SIZE = 2
    person = f.make_person()
    for _ in range(5):
        login_event(person, days=settings.RETENTION_AUDIT_IP_DAYS + 1)
    assert retention.blank_audit_ips().count == 5
    assert not AuditEvent.objects.filter(ip__isnull=False).exists()
    assert AuditEvent.objects.filter(action="retention.purged").count() == 1


def test_an_unknown_kind_is_refused_before_anything_changes(world):
    with pytest.raises(ValueError, match="Unknown kind: nope"):
        retention.purge_expired_data(only=["audit_ips", "nope"])
    assert fresh(world.old_ip).ip == "192.0.2.10"


def test_a_run_stopped_by_an_error_still_records_the_batches_before_it(db, settings):
    settings.RETENTION_BATCH_SIZE = 2
    person = f.make_person()
    for _ in range(5):
        login_event(person, days=settings.RETENTION_AUDIT_IP_DAYS + 1)
    real_update, calls = QuerySet.update, []

    def failing_second_batch(queryset, **values):
        calls.append(values)
        if len(calls) == 2:
            raise DatabaseError("connection lost")
        return real_update(queryset, **values)

    with mock.patch.object(QuerySet, "update", failing_second_batch), pytest.raises(DatabaseError):
        retention.blank_audit_ips()
    assert AuditEvent.objects.filter(ip__isnull=False).count() == 3  # the failed batch rolled back
    assert summary("audit_ips").data["count"] == 2
    assert retention.blank_audit_ips().count == 3  # the next run finishes the work

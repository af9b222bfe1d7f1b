"""`purge_expired_data` (management command and daily Celery beat job): what an operator runs and reads."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from housekeeping import retention, tasks
from registry import audit
from registry.models import AuditEvent
from tests import factories as f


@pytest.fixture
def old_login(db):
    person = f.make_person()
    event = audit.record("person.login", actor=audit.person_actor(person), actor_person=person, ip="192.0.2.7")
    AuditEvent.objects.filter(pk=event.pk).update(
        at=timezone.now() - timedelta(days=settings.RETENTION_AUDIT_IP_DAYS + 1)
    )
    return event


def run(*args) -> tuple[list[str], dict]:
    out = StringIO()
    call_command("purge_expired_data", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return lines, json.loads(lines[-1])


def test_it_prints_each_kind_and_json_on_the_last_line(old_login):
    lines, result = run()
    assert result["dry_run"] is False
    assert list(result["kinds"]) == list(retention.KINDS)
    assert result["kinds"]["audit_ips"]["count"] == 1 and result["kinds"]["audit_ips"]["action"] == "blanked"
    assert result["kinds"]["audit_events"]["older_than"] is not None
    assert any(line.startswith("audit_ips: 1 were blanked (older than ") for line in lines)
    assert AuditEvent.objects.get(pk=old_login.pk).ip is None


def test_a_dry_run_says_what_would_go_and_keeps_it(old_login):
    lines, result = run("--dry-run")
    assert result["dry_run"] is True and result["kinds"]["audit_ips"]["count"] == 1
    assert "audit_ips: 1 would be blanked" in lines[0]
    assert AuditEvent.objects.get(pk=old_login.pk).ip == "192.0.2.7"
    assert not AuditEvent.objects.filter(action="retention.purged").exists()


def test_only_runs_the_kinds_named(old_login):
    _, result = run("--only", "sessions", "--only", "audit_events")
    assert list(result["kinds"]) == ["audit_events", "sessions"]
    assert AuditEvent.objects.get(pk=old_login.pk).ip == "192.0.2.7"


def test_an_unknown_kind_is_a_clear_error_and_changes_nothing(old_login):
    with pytest.raises(CommandError, match="invalid choice: 'ip'"):
        call_command("purge_expired_data", "--only", "ip", stdout=StringIO())
    assert AuditEvent.objects.get(pk=old_login.pk).ip == "192.0.2.7"


def test_kept_for_ever_is_said_so(db, settings):
    settings.RETENTION_AUDIT_EVENT_DAYS = 0
    lines, result = run("--only", "audit_events")
    assert lines[0] == "audit_events: 0 were deleted (kept for ever)"
    assert result["kinds"]["audit_events"]["older_than"] is None


def test_the_daily_beat_job_runs_the_same_purge(old_login):
    job = settings.CELERY_BEAT_SCHEDULE["purge-expired-data"]
    assert job["task"] == "housekeeping.tasks.purge_expired_data"
    counts = tasks.purge_expired_data.delay().get()
    assert counts["audit_ips"] == 1 and set(counts) == set(retention.KINDS)
    assert AuditEvent.objects.get(pk=old_login.pk).ip is None
    assert AuditEvent.objects.get(action="retention.purged").actor == "system:retention"

"""RETENTION_* settings are parsed strictly: a bad value stops the process with a clear message."""

from tests.test_settings import _run

PRINT = "from django.conf import settings as s; print(s.RETENTION_AUDIT_IP_DAYS, s.RETENTION_NOTIFICATION_DAYS)"


def test_retention_periods_come_from_the_environment():
    result = _run({"RETENTION_AUDIT_IP_DAYS": "30", "RETENTION_NOTIFICATION_DAYS": "400"}, "shell", "-c", PRINT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["30", "400"]


def test_a_period_that_is_not_a_number_is_a_clear_error():
    result = _run({"RETENTION_REQUEST_DAYS": "half a year"}, "check")
    assert result.returncode != 0
    assert "RETENTION_REQUEST_DAYS must be a whole number, not 'half a year'" in result.stderr


def test_a_period_of_zero_days_is_refused_where_it_would_delete_at_once():
    result = _run({"RETENTION_DELETED_SYSTEM_USER_DAYS": "0"}, "check")
    assert result.returncode != 0
    assert "RETENTION_DELETED_SYSTEM_USER_DAYS must be at least 1" in result.stderr


def test_sent_mail_must_be_kept_longer_than_a_request_may_stay_open():
    result = _run({"RETENTION_NOTIFICATION_DAYS": "100", "REQUEST_TIMEOUT_DAYS": "180"}, "check")
    assert result.returncode != 0
    assert "RETENTION_NOTIFICATION_DAYS (100) must be greater than REQUEST_TIMEOUT_DAYS (180)" in result.stderr

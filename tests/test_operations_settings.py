"""Bad values for the operations settings stop the process at start with a clear message."""

import pytest

from tests.test_settings import _run


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PROXY_COUNT": "one"}, "PROXY_COUNT must be a whole number, not 'one'"),
        ({"PROXY_COUNT": "-1"}, "PROXY_COUNT must be at least 0"),
        ({"SESSION_COOKIE_AGE": "10"}, "SESSION_COOKIE_AGE must be at least 60"),
        ({"METRICS_ENABLED": "sometimes"}, "METRICS_ENABLED must be true or false"),
        ({"METRICS_ALLOWED_IPS": "10.0.0.0/8, prometheus.internal"}, "not 'prometheus.internal'"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 16 random characters"),
    ],
)
def test_a_bad_operations_setting_is_a_clear_error(env, message):
    result = _run(env, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_the_operations_settings_are_read_from_the_environment():
    env = {"PROXY_COUNT": "2", "SESSION_COOKIE_AGE": "3600", "METRICS_ALLOWED_IPS": "10.1.0.0/16,::1"}
    code = "from django.conf import settings as s; print(s.PROXY_COUNT, s.SESSION_COOKIE_AGE, s.METRICS_ALLOWED_IPS)"
    result = _run(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2 3600 ['10.1.0.0/16', '::1']"


def test_database_waits_are_bounded_and_connections_health_checked():
    env = {
        "DATABASE_URL": "postgres://systembruker@db.internal:5432/systembruker",
        "DB_STATEMENT_TIMEOUT_MS": "2500",
        "DB_LOCK_TIMEOUT_MS": "800",
    }
    code = "from django.conf import settings as s; d = s.DATABASES['default'];"
    code += " print(d['CONN_HEALTH_CHECKS'], d['OPTIONS'])"
    result = _run(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("True ") and "-c statement_timeout=2500 -c lock_timeout=800" in line

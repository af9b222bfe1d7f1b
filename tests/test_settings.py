import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_", "TEST_LOGIN", "OIDC_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "SYSTEMBRUKER_MODE": "production",
    "SECRET_KEY": "test-only-" + "x7Gq2vLp9Rk4Wz8Nt3Jb6Hd1Mf5Yc0Sa" * 2,
    "ALLOWED_HOSTS": "systembruker.example",
    "PORTAL_BASE_URL": "https://systembruker.example",
    "EMAIL_HOST": "smtp.systembruker.example",
    "OIDC_ISSUER": "https://idporten.no",
    "OIDC_CLIENT_ID": "systembruker-example",
    "OIDC_CLIENT_SECRET": "test-only-not-a-real-secret",
}


def test_production_mode_passes_the_deploy_check():
    result = _run(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = dict(PRODUCTION_ENV, SECRET_KEY="")
    result = _run(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_bad_boolean_setting_is_a_clear_error():
    result = _run({"TEST_LOGIN_ENABLED": "maybe"}, "check")
    assert result.returncode != 0
    assert "TEST_LOGIN_ENABLED must be true or false" in result.stderr


def test_a_blank_setting_means_its_default():
    # Deploy tools often leave a variable set but empty; that is the embedded default, not a crash.
    result = _run(
        {"DATABASE_URL": "", "PORTAL_BASE_URL": "  "},
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.PORTAL_BASE_URL)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["django.db.backends.sqlite3", "http://127.0.0.1:8000"]


def test_a_bad_database_url_is_a_clear_error():
    result = _run({"DATABASE_URL": "postgress://db/systembruker"}, "check")
    assert result.returncode != 0
    assert "DATABASE_URL is not a database URL" in result.stderr
    assert "Traceback" not in result.stderr.split("ImproperlyConfigured")[-1]


def test_self_developed_scopes_may_not_include_the_vendor_api_or_pdp_scopes():
    result = _run({"SELF_DEVELOPED_SCOPES": "demo:krav,altinn:authentication/systemregister.admin"}, "check")
    assert result.returncode != 0
    assert "SELF_DEVELOPED_SCOPES may not hold altinn:authentication/" in result.stderr
    fine = _run(
        {"SELF_DEVELOPED_SCOPES": "skatteetaten:krav, nav:inntekt"},
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SELF_DEVELOPED_SCOPES)",
    )
    assert fine.returncode == 0 and "['skatteetaten:krav', 'nav:inntekt']" in fine.stdout


def test_a_usage_period_shorter_than_the_30_days_the_page_shows_is_refused():
    result = _run({"RETENTION_USAGE_DAYS": "30"}, "check")
    assert result.returncode != 0
    assert "RETENTION_USAGE_DAYS" in result.stderr


def test_the_platform_token_issuer_may_not_be_the_token_issuer():
    result = _run({"TOKEN_ISSUER": "https://sb.example/", "PLATFORM_TOKEN_ISSUER": "https://sb.example/"}, "check")
    assert result.returncode != 0
    assert "PLATFORM_TOKEN_ISSUER must differ" in result.stderr

"""LOG_FORMAT=json: one JSON object per line, with the request id while a request runs. In a subprocess,
as the logging configuration is set once at start (as tests/test_settings.py does)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Logs outside a request, then asks for a missing page twice through the WSGI entry (Django logs a
# warning for a 404): once with the proxy's X-Request-ID, once with one that is no id.
SCRIPT = """
import logging
from wsgiref.util import setup_testing_defaults
from config.wsgi import application

logging.getLogger("portal.example").warning("outside %s", "a request")
for request_id in ("edge-7f3a.91", "not an id\\n"):
    environ = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO="/no-such-page/", HTTP_HOST="127.0.0.1", HTTP_X_REQUEST_ID=request_id)
    b"".join(application(environ, lambda *args: None))
"""


# What `celery worker` and `celery beat` do with logging at start, then a worker's log line.
CELERY_SCRIPT = """
import logging
import django
django.setup()
from config.celery import app
app.log.setup(loglevel="INFO")
logging.getLogger("celery.worker.consumer").info("Connected to the broker")
"""


def _run(tmp_path, script: str = SCRIPT, **env_extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_", "LOG_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", LOG_LEVEL="WARNING", **env_extra)
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_json_logs_are_one_object_per_line_with_level_logger_message_and_time(tmp_path):
    result = _run(tmp_path, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert len(lines) == 3
    first = lines[0]
    assert (first["level"], first["logger"], first["message"]) == ("WARNING", "portal.example", "outside a request")
    assert first["time"].startswith("20") and first["time"].endswith("+00:00")
    assert "request_id" not in first  # no request, no id


def test_json_logs_carry_the_request_id_the_proxy_sent_or_a_fresh_one(tmp_path):
    result = _run(tmp_path, LOG_FORMAT="json")
    _, given, fresh = [json.loads(line) for line in result.stderr.splitlines()]
    assert given["logger"] == "django.request" and given["message"] == "Not Found: /no-such-page/"
    assert given["request_id"] == "edge-7f3a.91"
    assert len(fresh["request_id"]) == 32 and fresh["request_id"] != given["request_id"]


def test_plain_text_stays_the_default(tmp_path):
    result = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == "outside a request"


def test_an_unknown_log_format_is_a_clear_error(tmp_path):
    result = _run(tmp_path, LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json, not 'xml'" in result.stderr


def test_celery_keeps_the_json_format(tmp_path):
    result = _run(tmp_path, CELERY_SCRIPT, LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="config.settings")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["logger"] == "celery.worker.consumer"
    assert (line["level"], line["message"]) == ("INFO", "Connected to the broker")

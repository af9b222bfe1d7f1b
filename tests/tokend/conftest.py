"""tokend, the token fast path, built from tokend/ and run in front of the application (pytest-django's
live server) on the test database: every test here sends its requests through a real tokend process.

tokend needs PostgreSQL (and Rust with Debian's crates to build: tokend/README.md); CI has both."""

import http.client
import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

from maskinporten import tokend as tokend_config
from tests.maskinporten.helpers import GRANT_TYPE
from tests.oidc_provider.fixtures import free_port

TOKEND = Path(settings.BASE_DIR) / "tokend"
BINARY = TOKEND / "target/release/tokend"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="session")
def tokend_binary() -> Path:
    """Built once per run (cargo builds only what changed; offline, from Debian's crates)."""
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo/bin/cargo")
    try:
        subprocess.run([cargo, "build", "--release", "--quiet"], cwd=TOKEND, check=True, timeout=600)
    except FileNotFoundError:
        pytest.fail("tokend needs Rust's cargo and Debian's Rust crates to build: see tokend/README.md")
    return BINARY


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(base: str, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> Answer:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def token_form(assertion: str, **form) -> bytes:
    return urlencode({"grant_type": GRANT_TYPE, "assertion": assertion, **form}).encode()


@dataclass
class Tokend:
    url: str  # tokend
    app_url: str  # the application itself (the live server tokend hands requests to)
    log: Path
    process: subprocess.Popen

    def post_token(self, body: bytes, *, direct: bool = False, content_type: str = FORM, headers=None) -> Answer:
        headers = {"Content-Type": content_type, **(headers or {})}
        return request(self.app_url if direct else self.url, "POST", "/token", body, headers)

    def grant(self, assertion: str, *, direct: bool = False, **form) -> Answer:
        return self.post_token(token_form(assertion, **form), direct=direct)

    def issued(self) -> list[dict]:
        """tokend's own "token issued" log lines: the tokens tokend answered itself."""
        lines = [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]
        return [line["token"] for line in lines if line["message"].startswith("token issued")]


def start(binary: Path, config: dict, app_url: str, tmp_path: Path) -> Tokend:
    path, log = tmp_path / "tokend.json", tmp_path / "tokend.log"
    path.write_text(json.dumps(config))
    port = free_port()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [str(binary), str(path), f"127.0.0.1:{port}", app_url], stdout=stream, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tokend stopped: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return Tokend(f"http://127.0.0.1:{port}", app_url, log, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"tokend did not start: {log.read_text()}")


@pytest.fixture
def tokend_settings(settings):
    settings.PROXY_COUNT = 1  # tokend is the application's one proxy
    return settings


@pytest.fixture
def run_tokend(tokend_binary, live_server, tokend_settings, tmp_path):
    """run_tokend(**config overrides) → a running Tokend; stopped after the test."""
    started = []

    def run(**overrides) -> Tokend:
        # Its "token issued" lines tell the tests which answers tokend gave (the test settings log warnings only).
        config = tokend_config.config(connections_per_process=2) | {"log_info": True} | overrides
        started.append(start(tokend_binary, config, live_server.url, tmp_path))
        return started[-1]

    yield run
    for process in started:
        process.process.terminate()
        process.process.wait(timeout=10)


@pytest.fixture
def tokend(run_tokend):
    return run_tokend()

"""OpenID providers for the login tests.

`oidc_provider` (and `browser_oidc_provider` for the live server): the real one — the certified
`oidc-provider` package (server.js beside this file) run with the machine's Node.js on a free loopback
port, with clients for the portal and the test accounts in accounts.json. `make test` installs it
(`npm ci --prefix tests/oidc_provider`).

`stub_provider`: a tiny provider in this process that serves discovery, a JWKS and a token endpoint
handing out whatever id_token a test builds — for the id_tokens a correct provider never issues
(wrong issuer, audience or nonce, expired, badly signed).

`drive_provider_login(...)` plays the person at the real provider's login page without a browser.
"""

import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

HERE = Path(__file__).resolve().parent
ACCOUNTS = {a["pid"]: a for a in json.loads((HERE / "accounts.json").read_text())}
CALLBACK_PATH = "/login/oidc/callback/"
LOGGED_OUT_PATH = "/login/oidc/logged-out/"
FRONTCHANNEL_LOGOUT_PATH = "/login/oidc/frontchannel-logout/"
TEST_CLIENT_BASE = "http://testserver"  # Django's test client

# Test-only client credentials for a provider that lives for one test run on loopback.
CLIENT_SECRET = "test-only-secret-" + uuid.uuid4().hex
JWT_KEY_ID = "systembruker-test-key"
POST = "client_secret_post"
# A vendor's program logging a person in at ID-porten for Altinn's API (server.js: API_RESOURCE).
VENDOR_CLIENT_ID = "vendor-program"
VENDOR_CALLBACK = TEST_CLIENT_BASE + "/vendor-program/callback"
API_RESOURCE = "https://platform.systembruker.test/"
CLIENT_DELEGATION_SCOPES = "altinn:clientdelegations.read altinn:clientdelegations.write"


def pid_of(name_part: str) -> str:
    """The test account whose name (or note) contains `name_part`."""
    return next(pid for pid, a in ACCOUNTS.items() if name_part in (a.get("name", "") + a.get("note", "")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RealProvider:
    issuer: str
    key_file: Path
    process: subprocess.Popen

    def settings_for(self, client: str = "systembruker", base_url: str = TEST_CLIENT_BASE) -> dict:
        auth_method = {"systembruker": "client_secret_basic", "systembruker-post": "client_secret_post"}
        return {
            "OIDC_ENABLED": True,
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": client,
            "OIDC_CLIENT_SECRET": "" if client == "systembruker-jwt" else CLIENT_SECRET,
            "OIDC_PRIVATE_KEY_FILE": str(self.key_file) if client == "systembruker-jwt" else "",
            "OIDC_PRIVATE_KEY_ID": JWT_KEY_ID,
            "OIDC_CLIENT_AUTH_METHOD": auth_method.get(client, "private_key_jwt"),
            "OIDC_SCOPES": "openid profile",
            "OIDC_ACR_MIN": "idporten-loa-substantial",
            "OIDC_TIMEOUT_SECONDS": 5,
            "PORTAL_BASE_URL": base_url,
        }


def _write_client_key(directory: Path) -> tuple[Path, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = directory / "client-key.pem"
    path.write_bytes(pem)
    public = RSAKey.import_key(pem).as_dict(private=False)
    return path, dict(public, kid=JWT_KEY_ID, alg="RS256", use="sig")


def _client(client_id: str, bases: list[str], **extra) -> dict:
    return {
        "client_id": client_id,
        "redirect_uris": [base + CALLBACK_PATH for base in bases],
        "post_logout_redirect_uris": [base + LOGGED_OUT_PATH for base in bases],
        "frontchannel_logout_uri": bases[0] + FRONTCHANNEL_LOGOUT_PATH,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        **extra,
    }


def _wait_for_discovery(issuer: str, process: subprocess.Popen, log_file: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test OpenID provider exited: {log_file.read_text()}")
        try:
            if requests.get(issuer + "/.well-known/openid-configuration", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the test OpenID provider did not answer at {issuer}")


@contextlib.contextmanager
def running_provider(bases: list[str], directory: Path):
    """The real provider on a free loopback port, with our clients redirecting to `bases`."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the test OpenID provider (apt-get install nodejs)"
    assert (HERE / "node_modules" / "oidc-provider").is_dir(), (
        "the test OpenID provider is not installed: run `npm ci --prefix tests/oidc_provider` (make test does)"
    )
    key_file, public_jwk = _write_client_key(directory)
    config = {
        "clients": [
            _client("systembruker", bases, client_secret=CLIENT_SECRET),  # client_secret_basic, the default
            _client("systembruker-post", bases, client_secret=CLIENT_SECRET, token_endpoint_auth_method=POST),
            _client(
                "systembruker-jwt",
                bases,
                token_endpoint_auth_method="private_key_jwt",
                token_endpoint_auth_signing_alg="RS256",
                jwks={"keys": [public_jwk]},
            ),
            {
                "client_id": VENDOR_CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [VENDOR_CALLBACK],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
        ]
    }
    config_file = directory / "config.json"
    config_file.write_text(json.dumps(config))
    port = free_port()
    env = dict(os.environ, PORT=str(port), OIDC_PROVIDER_CONFIG=str(config_file), NODE_ENV="test")
    log_file = directory / "provider.log"  # a file, not a pipe: a full pipe would stall the provider
    with log_file.open("w") as log:
        process = subprocess.Popen([node, str(HERE / "server.js")], env=env, stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_for_discovery(issuer, process, log_file)
        yield RealProvider(issuer=issuer, key_file=key_file, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The real provider for tests with Django's test client (redirects to http://testserver)."""
    with running_provider([TEST_CLIENT_BASE], tmp_path_factory.mktemp("oidc-provider")) as provider:
        yield provider


@pytest.fixture(scope="session")
def browser_oidc_provider(live_server, tmp_path_factory):
    """The real provider for browser tests (redirects to the live server)."""
    with running_provider([live_server.url], tmp_path_factory.mktemp("oidc-provider-browser")) as provider:
        yield provider


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    """The portal configured for the real test provider, as the test client sees it."""
    for name, value in oidc_provider.settings_for().items():
        setattr(settings, name, value)
    return settings


@dataclass
class ProviderVisit:
    """A person's browser at the provider: its cookies outlive one login, as a real browser's do."""

    session: requests.Session = field(default_factory=requests.Session)

    def login(self, authorize_url: str, pid: str | None, *, cancel: bool = False) -> str:
        """Log in (or cancel) at the provider; return the callback path + query for the portal."""
        response = self.session.get(authorize_url, allow_redirects=False, timeout=10)
        response = self._follow(response)
        if isinstance(response, str):
            return response  # the provider still knew the person: straight back to the portal
        uid = re.search(r"/interaction/([\w-]+)/login", response.text).group(1)
        origin = "/".join(authorize_url.split("/")[:3])
        if cancel:
            answer = self.session.post(f"{origin}/interaction/{uid}/abort", allow_redirects=False, timeout=10)
        else:
            answer = self.session.post(
                f"{origin}/interaction/{uid}/login", data={"pid": pid}, allow_redirects=False, timeout=10
            )
        result = self._follow(answer)
        assert isinstance(result, str), f"the provider did not send the person back: {result.text[:500]}"
        return result

    def follow_to_portal(self, url: str) -> str:
        """Follow the provider's redirects from `url` until they point back at the portal."""
        result = self._follow(self.session.get(url, allow_redirects=False, timeout=10))
        assert isinstance(result, str), f"the provider did not send the person back: {result.text[:500]}"
        return result

    def _follow(self, response):
        while response.is_redirect or response.status_code == 200 and "op.logoutForm" in response.text:
            if response.status_code == 200:  # the auto-submitting logout page: press its button
                form = re.search(r'action="([^"]+)".*?name="xsrf" value="([^"]+)"', response.text, re.S)
                url = urljoin(response.url, form.group(1))
                response = self.session.post(
                    url, data={"xsrf": form.group(2), "logout": "yes"}, allow_redirects=False, timeout=10
                )
                continue
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(TEST_CLIENT_BASE):
                parts = urlsplit(location)
                return parts.path + ("?" + parts.query if parts.query else "")
            response = self.session.get(location, allow_redirects=False, timeout=10)
        return response


def idporten_access_token(issuer: str, pid: str, *, scope: str = CLIENT_DELEGATION_SCOPES) -> str:
    """What a vendor's program gets from the real provider for `pid`: an ID-porten-style JWT access
    token for our API (resource indicator), by the authorization code flow with PKCE."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "client_id": VENDOR_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": VENDOR_CALLBACK,
        "scope": f"openid {scope}".strip(),
        "resource": API_RESOURCE,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
    }
    callback = ProviderVisit().login(f"{issuer}/auth?{urlencode(params)}", pid)
    code = query_of(callback)["code"]
    answer = requests.post(
        f"{issuer}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": VENDOR_CALLBACK,
              "code_verifier": verifier, "resource": API_RESOURCE},
        auth=(VENDOR_CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )  # fmt: skip
    assert answer.ok, answer.text
    return answer.json()["access_token"]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# --- the stub provider -------------------------------------------------------------------------------


@functools.cache
def _stub_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "stub-key", "alg": "RS256", "use": "sig"})


class StubProvider:
    """Discovery, JWKS and a token endpoint whose id_token the test decides (`claims`, `sign_with`)."""

    def __init__(self):
        self.key = _stub_key()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.client_id = "systembruker-stub"
        self.claims_override: dict = {}
        self.sign_with = self.key
        self.header: dict = {"alg": "RS256", "kid": "stub-key"}
        self.token_response: dict | None = None
        self.nonce = ""

    def id_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "stub-subject",
            "iat": now,
            "exp": now + 120,
            "nonce": self.nonce,
            "pid": pid_of("Nina"),
            "name": "Nina Ny Person",
            "acr": "idporten-loa-substantial",
        }
        claims.update(self.claims_override)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(self.header, claims, self.sign_with, algorithms=[self.header["alg"]])

    def settings(self) -> dict:
        return {
            "OIDC_ENABLED": True,
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": "stub-secret",
            "OIDC_PRIVATE_KEY_FILE": "",
            "OIDC_CLIENT_AUTH_METHOD": "client_secret_basic",
            "OIDC_ACR_MIN": "idporten-loa-substantial",
            "OIDC_SCOPES": "openid profile",
            "OIDC_TIMEOUT_SECONDS": 5,
            "PORTAL_BASE_URL": TEST_CLIENT_BASE,
        }

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body: dict, status: int = 200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    return self._json(
                        {
                            "issuer": stub.issuer,
                            "authorization_endpoint": stub.issuer + "/authorize",
                            "token_endpoint": stub.issuer + "/token",
                            "jwks_uri": stub.issuer + "/jwks",
                            "end_session_endpoint": stub.issuer + "/endsession",
                            "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
                        }
                    )
                if self.path == "/jwks":
                    return self._json({"keys": [stub.key.as_dict(private=False)]})
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/token":
                    return self._json({"error": "not_found"}, 404)
                body = stub.token_response or {"access_token": "stub-access", "token_type": "Bearer"}
                if stub.token_response is None:
                    body["id_token"] = stub.id_token()
                return self._json(body)

        return Handler

    def start(self):
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_provider(settings):
    stub = StubProvider()
    stub.start()
    for name, value in stub.settings().items():
        setattr(settings, name, value)
    yield stub
    stub.stop()

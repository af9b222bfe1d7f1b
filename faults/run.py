# ruff: noqa: E402  (the path fix below must run before the first standard-library import)
"""The fault suite: a production-shaped installation on loopback, broken on purpose under load.

    make faults            # or: .venv/bin/python faults/run.py

It starts, each in a temporary directory and on free loopback ports: its own PostgreSQL cluster
(initdb), its own Redis, an SMTP sink, two gunicorn web nodes behind HAProxy, a Celery worker and beat.
A steady mixed load runs throughout (system-user tokens, PDP decisions, vendor requests, their approval
in the portal), and these faults are injected one at a time:

    PostgreSQL restart, PostgreSQL down 15 s, Redis down 30 s, Celery worker kill -9 mid-delivery,
    one web node killed, a 20 s table lock, a graceful reload of one node (gunicorn HUP), a rolling
    restart of both nodes through the balancer, and a signing-key rotation (by replacing key files).

With FAULTS_TOKEND=1 (`make faults-tokend`) each web node is tokend, the token fast path, in front of
its gunicorn (tokend/README.md): the same faults, the same checks, with the tokens answered by tokend;
a node killed or restarted is both processes, a HUP reaches gunicorn only.

It prints a table (answers by status inside each fault's window, errors outside it, 500s, recovery
time), checks that sessions, jti replay and the staff-login throttle hold across nodes, and at the end
that nothing was lost: every request a vendor was told was created exists, every approval holds, every
notification was sent and reached the SMTP sink. It fails (exit 1) on any 500, any 4xx (the load sends
only valid calls: a 4xx is the server being wrong, e.g. a grant refused as stale), any 503 not in its
API's format or without Retry-After, any error outside a fault's window, any loss. The reload, the
rolling restart and the key rotation have no window: they must cost nothing. Duplicated mails (the
documented at-least-once case of a killed worker) are reported, not failed.

Loopback only; every loop is bounded by a count and a deadline; the whole run by HARD_LIMIT_SECONDS.
Everything started is stopped at the end (process groups of our own children only).
"""

import os
import sys

# faults/ must not shadow standard-library modules; the repository root must be importable.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, os.path.dirname(HERE))

import http.client
import json
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from faults.smtp_sink import SmtpSink

ROOT = Path(HERE).parent
PY = sys.executable
BIN = Path(PY).parent
TOKEND = ROOT / "tokend/target/release/tokend"
HOST = "127.0.0.1"
HARD_LIMIT_SECONDS = 900
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_SCOPE = "altinn:faults/krav.read"
VENDOR_SCOPES = "altinn:authentication/systemuser.request.write altinn:authentication/systemuser.request.read"
PDP_SCOPE = "altinn:authorization/authorize"
TOKEN_LIFETIME = 60  # short, so that the key rotation's last step comes soon
REFRESH_MARGIN = 30  # a client gets a new token at half its lifetime, as token client libraries do
KEY_RELOAD_SECONDS = 5  # lib/tokens/keys.RELOAD_CHECK_SECONDS
ADMIN_MAX_FAILURES = 3
KRAV_READ = {"action": "read", "resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(what: str, check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


def http_status(port: int, path: str, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def pg_tool(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return str(versions[-1]) if versions else None


def write_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


# --- the services ---------------------------------------------------------------------------------


class Services:
    """The processes of the installation, each in its own process group so that only they are signalled."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen] = {}
        self.tokend = os.environ.get("FAULTS_TOKEND") == "1"  # each node: tokend in front of its gunicorn
        names = ("pg", "redis", "lb", "a", "b", "a-app", "b-app", "a-metrics", "b-metrics", "stats")
        self.ports = {name: free_port() for name in names}
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.pgdata = tmp / "pg" / "data"
        self.keys = tmp / "keys"
        self.sink = SmtpSink().start()
        self.env = self._env()

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_", "OIDC_"))}
        for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL", "EMAIL_FILE_PATH", "EMAIL_BACKEND_CLASS"):
            env.pop(name, None)
        keys = ",".join(str(self.keys / n) for n in ("current.pem", "next.pem", "previous.pem"))
        env.update(
            SYSTEMBRUKER_MODE="production",
            SECRET_KEY="faults-only-" + uuid.uuid4().hex * 2,
            ALLOWED_HOSTS=HOST,
            PORTAL_BASE_URL=f"https://{HOST}:{self.ports['lb']}",
            TEST_LOGIN_ENABLED="true",  # a test installation: the load logs in with the test login
            DATABASE_URL=f"postgres://postgres@{HOST}:{self.ports['pg']}/systembruker",
            DB_CONN_MAX_AGE="60",
            REDIS_URL=f"redis://{HOST}:{self.ports['redis']}/0",
            CELERY_BROKER_URL=f"redis://{HOST}:{self.ports['redis']}/1",
            EMAIL_HOST=HOST,
            EMAIL_PORT=str(self.sink.port),
            EMAIL_USE_TLS="false",
            TOKEN_SIGNING_KEY_FILES=keys,
            TOKEN_LIFETIME_SECONDS=str(TOKEN_LIFETIME),
            PROXY_COUNT="2" if self.tokend else "1",  # HAProxy, and tokend when it is in front
            SYSTEMBRUKER_VAR_DIR=str(self.tmp / "var"),
            STATIC_ROOT=str(self.tmp / "static"),
            NOTIFICATION_SWEEP_SECONDS="5",
            NOTIFICATION_SWEEP_GRACE_SECONDS="5",
            NOTIFICATION_CLAIM_TIMEOUT_SECONDS="15",
            ADMIN_LOGIN_MAX_FAILURES=str(ADMIN_MAX_FAILURES),
            LOG_LEVEL="ERROR",
            PYTHONPATH=str(ROOT),
        )
        return env

    # PostgreSQL ------------------------------------------------------------------------------------
    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        cmd = [*self.as_postgres, pg_tool("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.tmp / "pg" / "log"), *args]
        subprocess.run(cmd, check=True, timeout=timeout, capture_output=True)

    def start_postgres(self) -> None:
        (self.tmp / "pg").mkdir()
        if self.as_postgres:
            shutil.chown(self.tmp / "pg", "postgres")
        subprocess.run(
            [*self.as_postgres, pg_tool("initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync"],
            check=True, timeout=120, capture_output=True,
        )  # fmt: skip
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '{HOST}'\nport = {self.ports['pg']}\n"
                f"unix_socket_directories = '{self.tmp / 'pg'}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )
        self.pg_ctl("start", "-w", "-t", "60")
        subprocess.run(
            ["psql", "-h", HOST, "-p", str(self.ports["pg"]), "-U", "postgres", "-qc", "CREATE DATABASE systembruker"],
            check=True, timeout=30, capture_output=True,
        )  # fmt: skip

    def psql_connect(self):
        import psycopg

        return psycopg.connect(f"postgres://postgres@{HOST}:{self.ports['pg']}/systembruker", autocommit=True)

    # Redis -----------------------------------------------------------------------------------------
    def start_redis(self) -> None:
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.ports["redis"]), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)],
        )  # fmt: skip
        wait_for("Redis", lambda: self._redis_ping(), 20)

    def _redis_ping(self) -> bool:
        with socket.create_connection((HOST, self.ports["redis"]), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    # Django processes ------------------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=False,
            timeout=timeout,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start_node(self, name: str, *, cpu: str | None = None, workers: int = 2, threads: int = 4) -> None:
        gunicorn_port = self.ports[f"{name}-app"] if self.tokend else self.ports[name]
        cmd = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi:application",
               "--bind", f"{HOST}:{gunicorn_port}", "--workers", str(workers), "--worker-class", "gthread",
               "--threads", str(threads), "--backlog", "512", "--graceful-timeout", "20", "--log-level", "warning",
               "--error-logfile", str(self.tmp / f"gunicorn-{name}.log")]  # fmt: skip
        if cpu is not None:
            cmd = ["taskset", "-c", cpu, *cmd]
        self.spawn(name, cmd)
        if self.tokend:
            config = self.tmp / "tokend.json"
            if not config.exists():
                self.manage("tokend_config", str(config), "--connections", "2")
            self.spawn(f"{name}-tokend", [str(TOKEND), str(config), f"{HOST}:{self.ports[name]}",
                                          f"http://{HOST}:{gunicorn_port}",
                                          f"{HOST}:{self.ports[f'{name}-metrics']}"])  # fmt: skip
        wait_for(f"web node {name}", lambda: http_status(self.ports[name], "/readyz") == 200, 60)

    def start_worker(self) -> None:
        self.spawn(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "WARNING", "--concurrency", "2",
             "--without-gossip", "--without-mingle", "--hostname", f"faults-{uuid.uuid4().hex[:6]}@%h"],
        )  # fmt: skip

    def start_beat(self) -> None:
        self.spawn(
            "beat",
            [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "WARNING",
             "--schedule", str(self.tmp / "celerybeat-schedule")],
        )  # fmt: skip

    def start_haproxy(self, nodes: tuple[str, ...] = ("a", "b")) -> None:
        config = self.tmp / "haproxy.cfg"
        servers = "".join(f"    server {n} {HOST}:{self.ports[n]} check\n" for n in nodes)
        sock = self.tmp / "haproxy.sock"
        config.write_text(HAPROXY_CONFIG.format(lb=self.ports["lb"], host=HOST, sock=sock) + servers)
        subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], check=True, timeout=30)
        self.spawn("haproxy", ["haproxy", "-db", "-f", str(config)])
        wait_for("HAProxy", lambda: http_status(self.ports["lb"], "/healthz") == 200, 20)

    def tokens_by_tokend(self) -> tuple[int, int]:
        """(tokens tokend issued, token requests it handed to gunicorn), both nodes, since they last started."""
        issued = handed = 0
        for node in ("a", "b"):
            with urllib.request.urlopen(f"http://{HOST}:{self.ports[f'{node}-metrics']}/", timeout=5) as response:
                text = response.read().decode()
            issued += int(re.search(r"^systembruker_tokens_issued_total\{[^}]*\} (\d+)", text, re.M).group(1))
            handed += int(
                re.search(r'^systembruker_tokend_forwarded_total\{path="/token"\} (\d+)', text, re.M).group(1)
            )
        return issued, handed

    def haproxy(self, command: str) -> str:
        """A command on HAProxy's runtime API (e.g. `set server nodes/a state drain`)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.tmp / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            return sock.recv(65536).decode(errors="replace")

    def spawn(self, name: str, cmd: list[str]) -> None:
        out = open(self.tmp / f"{name}.out", "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def signal_leader(self, name: str, sig: int) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, sig)  # the child itself (gunicorn's master), not its workers

    def signal_group(self, name: str, sig: int) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, sig)  # the process group of a child we started, nothing else

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        if f"{name}-tokend" in self.procs:  # a node is both processes
            self.kill(f"{name}-tokend", sig)
        self.signal_group(name, sig)
        proc = self.procs.pop(name, None)
        if proc is not None:
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in ("haproxy", "a", "b", "worker", "beat"):
            try:
                self.kill(name, signal.SIGTERM)
            except Exception as exc:  # keep stopping the others
                log(f"stopping {name}: {exc}")
        try:
            self.kill("redis", signal.SIGTERM)
        except Exception as exc:
            log(f"stopping redis: {exc}")
        if self.pgdata.exists():
            try:
                self.pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
            except Exception:
                pass
        self.sink.stop()


HAPROXY_CONFIG = """
global
    maxconn 2000
    stats socket {sock} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout queue 15s
    option redispatch
    retries 3
    retry-on conn-failure
frontend web
    bind {host}:{lb}
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Request-Start t=%[date(0,us)]
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    timeout check 2s
    default-server inter 500ms fall 2 rise 2 maxconn 64
"""


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Answer:
    at: float
    kind: str
    status: int  # 0: no answer (connection refused or reset, timeout)
    problem: str = ""  # what was wrong with a 503's format, or the body of an unexpected answer
    seconds: float = 0.0  # how long the call took


@dataclass
class Outcomes:
    answers: list[Answer] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # externalRef → request id (the vendor was told 201)
    approved: set[str] = field(default_factory=set)  # request ids the portal confirmed
    given_up: list[str] = field(default_factory=list)  # intentions never done (retried until their deadline)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)


class Http:
    """One keep-alive connection through the balancer, with cookies kept by hand (the portal's cookies are
    Secure: the balancer claims https, the test talks plain HTTP on loopback)."""

    def __init__(self, port: int, timeout: float = 20):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.conn.close()
                self.conn = None
                # A keep-alive connection the balancer closed while idle: try once more on a new one, but
                # only a GET (a POST may have been received: sending it again is the client's mistake).
                retry = isinstance(exc, http.client.RemoteDisconnected | BrokenPipeError) and method == "GET"
                if attempt == 1 and retry:
                    continue
                raise
            except OSError:
                self.conn.close()
                self.conn = None
                raise
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise OSError("unreachable")


def describe(headers: dict, body: bytes) -> str:
    """An answer's gist for the failure list: JSON as it is, an HTML page's heading and error codes."""
    text = body.decode(errors="replace")
    if not headers.get("content-type", "").startswith("text/html"):
        return text[:300]
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    codes = sorted(set(re.findall(r"AUTH[.-][A-Z]*-?\d{5}", text)))
    alerts = re.findall(r'role="alert"[^>]*>(.*?)</', text, re.S)
    parts = [heading.group(1).strip() if heading else "", " ".join(codes), " ".join(a.strip() for a in alerts)]
    return re.sub(r"\s+", " ", " | ".join(p for p in parts if p))[:300]


def unavailable_format_problem(kind: str, headers: dict, body: bytes) -> str:
    """What is wrong with a 503 (empty when it is in its caller's format, with Retry-After)."""
    if "retry-after" not in headers:
        return "503 without Retry-After"
    content_type = headers.get("content-type", "")
    if kind == "token":
        try:
            return "" if json.loads(body)["error"] == "temporarily_unavailable" else "503 not OAuth JSON"
        except (ValueError, KeyError, TypeError):
            return "503 not OAuth JSON"
    if kind in ("pdp", "request", "request-read"):
        try:
            problem = json.loads(body)
        except ValueError:
            return "503 not problem+json"
        ok = content_type.startswith("application/problem+json") and problem.get("traceId")
        return "" if ok else "503 not problem+json with traceId"
    return "" if content_type.startswith("text/html") else "503 page not HTML"


class Load:
    def __init__(self, services: Services, seed: dict, client_keys: dict, stop: threading.Event | None):
        self.s, self.seed, self.keys, self.stop = services, seed, client_keys, stop
        self.out = Outcomes()
        self.to_approve: queue.Queue = queue.Queue()
        self.pdp_token: tuple[str, float] | None = None
        self.pdp_lock = threading.Lock()

    # grants ------------------------------------------------------------------------------------
    def grant(self, client_id: str, scope: str, *, orgno: str | None = None, iat: float | None = None) -> str:
        import jwt

        now = int(iat if iat is not None else time.time())
        claims = {"aud": f"https://{HOST}:{self.s.ports['lb']}/", "iss": client_id, "iat": now, "exp": now + 60,
                  "jti": str(uuid.uuid4()), "scope": scope}  # fmt: skip
        if orgno is not None:
            claims["authorization_details"] = [
                {
                    "type": "urn:altinn:systemuser",
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{orgno}"},
                }
            ]
        key = self.keys[client_id]
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.seed["kids"][client_id]})

    def call(self, http_: Http, kind: str, method: str, path: str, body=None, headers=None):
        """One call, recorded; returns (status, headers, body) or None when there was no answer."""
        started = time.monotonic()
        try:
            status, response_headers, data = http_.request(method, path, body, headers)
        except OSError as exc:
            problem = f"{method} {path.split('?')[0]}: {type(exc).__name__}"
            self.out.add(Answer(time.time(), kind, 0, problem, time.monotonic() - started))
            return None
        took = time.monotonic() - started
        problem = ""
        if status == 503:
            problem = unavailable_format_problem(kind, response_headers, data)
        elif status >= 400:
            problem = f"{method} {path.split('?')[0]}: " + describe(response_headers, data)
        self.out.add(Answer(time.time(), kind, status, problem, took))
        return status, response_headers, data

    def token(self, http_: Http, kind: str, client_id: str, scope: str, orgno: str | None = None) -> str | None:
        form = urlencode({"grant_type": GRANT_TYPE, "assertion": self.grant(client_id, scope, orgno=orgno)}).encode()
        result = self.call(http_, kind, "POST", "/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if result and result[0] == 200:
            return json.loads(result[2])["access_token"]
        return None

    # the flows ---------------------------------------------------------------------------------
    def paced(self, period: float, step) -> None:
        next_at = time.monotonic()
        while not self.stop.is_set():
            step()
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            else:
                next_at = time.monotonic()

    def tokens(self) -> None:
        http_ = Http(self.s.ports["lb"])
        customers = self.seed["customers"]
        self.paced(0.2, lambda: self.token(http_, "token", "faults-vendor", TOKEN_SCOPE, random.choice(customers)))

    def pdp(self) -> None:
        http_ = Http(self.s.ports["lb"])
        users = list(zip(self.seed["system_users"], self.seed["customers"], strict=True))

        def step():
            token = self.pdp_bearer(http_)
            if token is None:
                return
            system_user, orgno = random.choice(users)
            attrs = lambda *pairs: {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}  # noqa: E731
            body = {"Request": {
                "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", system_user))],
                "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", "read"))],
                "Resource": [attrs(("urn:altinn:resource", "ske-krav-og-betalinger"),
                                   ("urn:altinn:organization:identifier-no", orgno))],
            }}  # fmt: skip
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            result = self.call(
                http_, "pdp", "POST", "/authorization/api/v1/authorize", json.dumps(body).encode(), headers
            )
            if result and result[0] == 200:
                decision = json.loads(result[2])["Response"][0]["Decision"]
                if decision != "Permit":
                    self.out.add(Answer(time.time(), "pdp", 299, f"decision {decision}, not Permit"))

        self.paced(0.2, step)

    def pdp_bearer(self, http_: Http) -> str | None:
        with self.pdp_lock:
            if self.pdp_token is None or self.pdp_token[1] - time.time() < REFRESH_MARGIN:
                token = self.token(http_, "token", "faults-pdp", PDP_SCOPE)
                if token is None:
                    return self.pdp_token[0] if self.pdp_token and self.pdp_token[1] > time.time() + 2 else None
                self.pdp_token = (token, time.time() + TOKEN_LIFETIME)
            return self.pdp_token[0]

    def vendor_requests(self) -> None:
        http_ = Http(self.s.ports["lb"])
        bearer: list = [None, 0.0]
        n = 0

        def headers():
            if bearer[0] is None or bearer[1] - time.time() < REFRESH_MARGIN:
                token = self.token(http_, "token", "faults-vendor", VENDOR_SCOPES)
                if token is not None:
                    bearer[:] = [token, time.time() + TOKEN_LIFETIME]
            if bearer[0] is None or bearer[1] - time.time() < 2:
                return None  # no token that is still good: the vendor's program waits and tries again
            return {"Authorization": f"Bearer {bearer[0]}", "Content-Type": "application/json"}

        def step():
            nonlocal n
            n += 1
            ref = f"faults-{n}-{uuid.uuid4().hex[:6]}"
            body = json.dumps({"systemId": self.seed["system_id"], "partyOrgNo": random.choice(self.seed["customers"]),
                               "externalRef": ref, "rights": [KRAV_READ]}).encode()  # fmt: skip
            deadline = time.monotonic() + 90  # a vendor retries its request for a while
            while time.monotonic() < deadline:
                h = headers()
                result = (
                    self.call(http_, "request", "POST", "/authentication/api/v1/systemuser/request/vendor", body, h)
                    if h
                    else None
                )
                if result and result[0] in (200, 201):
                    request_id = json.loads(result[2])["id"]
                    with self.out.lock:
                        self.out.created[ref] = request_id
                    self.to_approve.put(request_id)
                    return
                time.sleep(1.0)  # retry the same request (same externalRef: the same request, never a second)
            with self.out.lock:
                self.out.given_up.append(f"request {ref}")

        self.paced(1.0, step)

    def approvals(self) -> None:
        http_ = Http(self.s.ports["lb"])
        lb = self.s.ports["lb"]
        logged_in = False

        def csrf(data: bytes) -> str:
            match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
            return match.group(1).decode() if match else ""

        def login() -> bool:
            result = self.call(http_, "portal", "GET", "/login/test/")
            if not result or result[0] != 200:
                return False
            form = urlencode({"csrfmiddlewaretoken": csrf(result[2]), "pid": self.seed["manager_pid"]}).encode()
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{HOST}:{lb}/login/test/",
            }
            result = self.call(http_, "portal", "POST", "/login/test/", form, headers)
            return bool(result and result[0] == 302)

        def approve(request_id: str) -> bool:
            page = f"/systemuser/request?id={request_id}"
            result = self.call(http_, "portal", "GET", page)
            if not result or result[0] != 200:
                return False
            form = urlencode({"csrfmiddlewaretoken": csrf(result[2])}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{HOST}:{lb}{page}"}
            result = self.call(http_, "portal", "POST", f"/systemuser/request/{request_id}/approve/", form, headers)
            return bool(result and result[0] == 302)

        while not self.stop.is_set():
            try:
                request_id = self.to_approve.get(timeout=0.5)
            except queue.Empty:
                continue
            deadline = time.monotonic() + 90
            done = False
            while not done and time.monotonic() < deadline:
                if not logged_in:
                    logged_in = login()
                if logged_in:
                    done = approve(request_id)
                    if done:
                        with self.out.lock:
                            self.out.approved.add(request_id)
                        break
                time.sleep(1.0)
            if not done:
                with self.out.lock:
                    self.out.given_up.append(f"approval {request_id}")

    def threads(self) -> list[threading.Thread]:
        flows = [self.tokens, self.tokens, self.pdp, self.pdp, self.vendor_requests, self.approvals]
        return [threading.Thread(target=flow, daemon=True, name=flow.__name__) for flow in flows]


# --- the faults -----------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    start: float = 0.0
    restored: float = 0.0
    end: float = 0.0  # the window closes here: restored + the grace for in-flight calls and health checks
    allowed: bool = True  # whether errors are allowed inside the window at all
    notes: list[str] = field(default_factory=list)


class Faults:
    GRACE = 3.0

    def __init__(self, services: Services, load: Load, seed: dict):
        self.s, self.load, self.seed = services, load, seed
        self.done: list[Fault] = []

    def run(self, fault: Fault, inject, *, settle: float = 5.0) -> None:
        log(f"fault: {fault.name}")
        fault.start = time.time()
        inject(fault)
        fault.restored = time.time()
        time.sleep(self.GRACE)
        fault.end = time.time()
        self.done.append(fault)
        time.sleep(settle)

    def postgres_restart(self, fault: Fault) -> None:
        self.s.pg_ctl("restart", "-m", "fast", "-w", "-t", "60")

    def postgres_down(self, fault: Fault) -> None:
        self.s.pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        time.sleep(15)
        self.s.pg_ctl("start", "-w", "-t", "60")

    def redis_down(self, fault: Fault) -> None:
        self.s.kill("redis", signal.SIGTERM)
        time.sleep(2)
        fault.notes.append(self.admin_login_works())
        time.sleep(28)
        self.s.start_redis()

    def admin_login_works(self) -> str:
        http_ = Http(self.s.ports["lb"])
        result = self.load.call(http_, "admin", "GET", "/admin/login/?next=/admin/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', result[2]) if result else None
        user, password = self.seed["staff"]
        form = urlencode({"csrfmiddlewaretoken": token.group(1).decode() if token else "", "username": user,
                          "password": password, "next": "/admin/"}).encode()  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Referer": f"https://{HOST}:{self.s.ports['lb']}/admin/login/"}  # fmt: skip
        result = self.load.call(http_, "admin", "POST", "/admin/login/?next=/admin/", form, headers)
        ok = bool(result and result[0] == 302)
        if not ok:
            self.load.out.add(Answer(time.time(), "admin", 599, "staff login failed while Redis was down"))
        return "staff login with Redis down: " + ("works" if ok else "FAILED")

    def worker_kill(self, fault: Fault) -> None:
        # Wait (bounded) for a delivery in progress at the SMTP sink, then kill the worker outright.
        caught = self.s.sink.in_data.wait(20)
        self.s.kill("worker", signal.SIGKILL)
        fault.notes.append("killed mid-delivery" if caught else "killed (no delivery was in progress)")
        time.sleep(3)
        self.s.start_worker()

    def node_kill(self, fault: Fault) -> None:
        self.s.kill("b", signal.SIGKILL)
        time.sleep(10)
        self.s.start_node("b")

    def table_lock(self, fault: Fault) -> None:
        probe: list[float] = []

        def hold():
            with self.s.psql_connect() as conn:
                conn.execute("BEGIN")
                conn.execute("LOCK TABLE registry_systemuser IN ACCESS EXCLUSIVE MODE")
                conn.execute("SELECT pg_sleep(20)")
                conn.execute("COMMIT")

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        deadline = time.monotonic() + 20
        while holder.is_alive() and time.monotonic() < deadline + 10:
            started = time.monotonic()
            try:
                http_status(self.s.ports["a"], "/healthz", timeout=10)
                probe.append(time.monotonic() - started)
            except OSError:
                probe.append(10.0)
            time.sleep(1)
        holder.join(15)
        fault.notes.append(f"/healthz during the lock: slowest {max(probe, default=0):.2f} s")

    def reload_node(self, fault: Fault) -> None:
        self.s.signal_leader("a", signal.SIGHUP)  # gunicorn: new workers, then the old ones finish and leave
        time.sleep(2)
        # The window lasts until the node answers promptly again (gunicorn retires the old workers before
        # the new ones have loaded Django: the node's calls wait meanwhile).
        prompt, deadline = 0, time.monotonic() + 60
        while prompt < 3 and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                http_status(self.s.ports["a"], "/healthz", timeout=10)
                prompt = prompt + 1 if time.monotonic() - started < 0.5 else 0
            except OSError:
                prompt = 0
            time.sleep(0.5)
        fault.notes.append(f"node a answered promptly again after {time.time() - fault.start:.1f} s")

    def rolling_restart(self, fault: Fault) -> None:
        # A deploy through the balancer: drain a node, stop it gracefully, start it, put it back; then the other.
        for node in ("a", "b"):
            self.s.haproxy(f"set server nodes/{node} state drain")
            time.sleep(2)
            self.s.kill(node, signal.SIGTERM)
            self.s.start_node(node)
            self.s.haproxy(f"set server nodes/{node} state ready")
            wait_for(f"node {node} back in the balancer", lambda n=node: self.server_up(n), 20)
        fault.notes.append("each node drained, restarted, put back")

    def server_up(self, node: str) -> bool:
        lines = self.s.haproxy("show servers state nodes").splitlines()
        # columns: be_id be_name srv_id srv_name srv_addr srv_op_state (2 = running) srv_admin_state …
        return any(
            line.split()[3:4] == [node] and line.split()[5:7] == ["2", "0"] for line in lines[2:] if line.strip()
        )

    def key_rotation(self, fault: Fault) -> None:
        keys = self.s.keys
        write_key(keys / "new.pem")
        (keys / "new.pem").rename(keys / "next.pem")  # 1. publish
        time.sleep(KEY_RELOAD_SECONDS + 2)
        os.link(keys / "current.pem", keys / "previous.tmp")  # 2. sign with it (ln -f current previous)
        (keys / "previous.tmp").rename(keys / "previous.pem")
        (keys / "next.pem").rename(keys / "current.pem")
        time.sleep(TOKEN_LIFETIME + KEY_RELOAD_SECONDS + 2)
        (keys / "previous.pem").unlink()  # 3. retire the old key once its tokens have expired
        time.sleep(KEY_RELOAD_SECONDS + 2)
        fault.notes.append("published, signing, retired: no restart")

    def all(self) -> None:
        self.run(Fault("PostgreSQL restart (-m fast)"), self.postgres_restart)
        self.run(Fault("PostgreSQL down 15 s"), self.postgres_down)
        self.run(Fault("Redis down 30 s"), self.redis_down)
        self.run(Fault("worker kill -9 mid-delivery"), self.worker_kill)
        self.run(Fault("one web node killed 10 s"), self.node_kill)
        self.run(Fault("table lock 20 s"), self.table_lock)
        self.run(Fault("gunicorn HUP (deploy)", allowed=False), self.reload_node)
        self.run(Fault("rolling restart via HAProxy", allowed=False), self.rolling_restart)
        self.run(Fault("signing-key rotation", allowed=False), self.key_rotation)


# --- checks across nodes --------------------------------------------------------------------------


def cross_node_checks(s: Services, load: Load, seed: dict) -> list[tuple[str, bool]]:
    checks = []
    a, b = Http(s.ports["a"]), Http(s.ports["b"])
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
    # jti replay: a grant spent on node a is refused on node b.
    grant = load.grant("faults-vendor", TOKEN_SCOPE, orgno=seed["customers"][0])
    form = urlencode({"grant_type": GRANT_TYPE, "assertion": grant}).encode()
    form_headers = {"Content-Type": "application/x-www-form-urlencoded", **proxy}
    first = a.request("POST", "/token", form, form_headers)[0]
    second, _, body = b.request("POST", "/token", form, form_headers)
    checks.append(("a grant spent on node a is refused on node b (jti replay)", first == 200 and second == 400
                   and b"invalid_grant" in body))  # fmt: skip
    # sessions: logged in through node a, known on node b.
    page = a.request("GET", "/login/test/", headers=proxy)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page[2])
    form = urlencode({"csrfmiddlewaretoken": token.group(1).decode() if token else "", "pid": seed["manager_pid"]})
    referer = {
        "Referer": f"https://{HOST}:{s.ports['a']}/login/test/",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    a.request("POST", "/login/test/", form.encode(), {**proxy, **referer})
    b.cookies = dict(a.cookies)
    status = b.request("GET", "/actor/", headers=proxy)[0]
    checks.append(("a session made on node a is a session on node b", status == 200))
    # staff-login throttle: failures on both nodes add up.
    user, password = seed["staff"]

    def admin_login(node: Http, port: int, pw: str) -> tuple[int, bytes]:
        node.cookies.clear()
        page = node.request("GET", "/admin/login/", headers=proxy)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page[2])
        form = urlencode({"csrfmiddlewaretoken": token.group(1).decode() if token else "", "username": user,
                          "password": pw, "next": "/admin/"})  # fmt: skip
        headers = {**proxy, "Referer": f"https://{HOST}:{port}/admin/login/",
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        status, _, body = node.request("POST", "/admin/login/", form.encode(), headers)
        return status, body

    for i in range(ADMIN_MAX_FAILURES):
        node, port = (a, s.ports["a"]) if i % 2 == 0 else (b, s.ports["b"])
        admin_login(node, port, "wrong password")
    status, body = admin_login(b, s.ports["b"], password)
    checks.append(("staff-login failures on both nodes add up (throttle in Redis)",
                   status == 200 and b"For mange mislykkede" in body))  # fmt: skip
    return checks


# --- verification and the table -------------------------------------------------------------------


def verify(s: Services, load: Load) -> dict:
    out = load.out
    lost: list[str] = list(out.given_up)
    with s.psql_connect() as conn:
        rows = dict(conn.execute("SELECT external_ref, id::text FROM approvals_request").fetchall())
        statuses = dict(conn.execute("SELECT id::text, status FROM approvals_request").fetchall())
        notifications = conn.execute("SELECT recipient, status FROM approvals_notification").fetchall()
    for ref, request_id in out.created.items():
        if rows.get(ref) != request_id:
            lost.append(f"request {ref} ({request_id}) was answered 201 but is not stored")
    for request_id in out.approved:
        if statuses.get(request_id) != "Accepted":
            lost.append(f"approval of {request_id} was confirmed but the request is {statuses.get(request_id)}")
    unsent = [(r, st) for r, st in notifications if st != "sent"]
    for recipient, status in unsent:
        lost.append(f"notification to {recipient} is {status}")
    stored = Counter(r for r, _ in notifications)
    received = Counter(r for _, r, _ in s.sink.mails)
    duplicated = 0
    for recipient, count in stored.items():
        if received[recipient] < count:
            lost.append(f"{count - received[recipient]} mail(s) to {recipient} never reached the SMTP server")
        duplicated += max(0, received[recipient] - count)
    return {"lost": lost, "duplicated": duplicated, "requests": len(out.created), "approved": len(out.approved),
            "notifications": len(notifications), "mails": len(s.sink.mails)}  # fmt: skip


def report(faults: list[Fault], answers: list[Answer]) -> list[str]:
    failures = []
    in_window: dict[str, list[Answer]] = defaultdict(list)
    totals = Counter()
    for answer in answers:
        totals[answer.kind] += 1
        window = next((f for f in faults if f.start <= answer.at <= f.end), None)
        bad = answer.status == 0 or answer.status >= 400 or answer.status == 299
        if answer.status == 500:
            failures.append(f"500 on {answer.kind}: {answer.problem[:200]}")
        elif answer.status == 599:
            failures.append(answer.problem)
        elif 400 <= answer.status < 500:
            failures.append(
                f"{answer.status} on {answer.kind} (the load sends only valid calls): {answer.problem[:200]}"
            )
        elif answer.status == 299:
            failures.append(f"wrong answer on {answer.kind}: {answer.problem}")
        elif answer.status == 503 and answer.problem:
            failures.append(f"503 on {answer.kind} in the wrong format: {answer.problem}")
        if not bad:
            continue
        if window is None:
            at = time.strftime("%H:%M:%S", time.localtime(answer.at))
            failures.append(f"{answer.status or 'no answer'} on {answer.kind} outside any fault window at {at}: "
                            f"{answer.problem[:200]}")  # fmt: skip
        elif not window.allowed:
            failures.append(
                f"{answer.status or 'no answer'} on {answer.kind} during {window.name}, which must cost nothing: "
                + answer.problem[:200]
            )
        else:
            in_window[window.name].append(answer)
    header = (f"{'fault':<30} {'window':>7} {'calls':>6} {'slowest':>8}  {'client errors (status × count)':<44}"
              f" {'recovery':>8}")  # fmt: skip
    print("\n" + header)
    print("-" * len(header))
    for fault in faults:
        calls = sum(1 for a in answers if fault.start <= a.at <= fault.end)
        errors = in_window.get(fault.name, [])
        by_status = Counter(a.status or "no answer" for a in errors)
        text = ", ".join(f"{k}×{v}" for k, v in sorted(by_status.items(), key=str)) or "none"
        by_kind = Counter(a.kind for a in errors)
        if by_kind:
            text += " (" + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())) + ")"
        last = max((a.at for a in errors), default=fault.restored)
        recovery = max(0.0, last - fault.restored)
        inside = [a for a in answers if fault.start <= a.at <= fault.end]
        slow = max(inside, key=lambda a: a.seconds, default=None)
        slowest = slow.seconds if slow else 0.0
        if slow is not None and slow.seconds > 5:
            fault.notes.append(f"slowest: {slow.kind} answered {slow.status} after {slow.seconds:.1f} s, sent "
                               f"{slow.at - slow.seconds - fault.start:+.1f} s from the window's start")  # fmt: skip
        print(
            f"{fault.name:<30} {fault.end - fault.start:>6.1f}s {calls:>6} {slowest:>7.1f}s  {text:<44}"
            f" {recovery:>7.1f}s"
        )
        for note in fault.notes:
            print(f"{'':<30}   {note}")
    steady = [a.seconds for a in answers if not any(f.start <= a.at <= f.end for f in faults)]
    steady.sort()
    p99 = steady[int(len(steady) * 0.99)] if steady else 0.0
    print(f"\ncalls by kind: {dict(sorted(totals.items()))}; outside the faults p99 {p99 * 1000:.0f} ms")
    print("window: from the injection until 3 s after the service is back; recovery: how long after that")
    print("errors went on; slowest: the slowest call in the window")
    return failures


def prepare(services: Services) -> tuple[dict, dict]:
    """Signing key, schema, static files and the seed data; (seed, private key of each token client)."""
    from cryptography.hazmat.primitives import serialization

    tmp = services.tmp
    services.keys.mkdir()
    write_key(services.keys / "current.pem")
    client_keys, public_files = {}, []
    for client_id in ("faults-vendor", "faults-pdp"):  # a public key serves one client
        write_key(tmp / f"{client_id}.pem")
        key = serialization.load_pem_private_key((tmp / f"{client_id}.pem").read_bytes(), password=None)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (tmp / f"{client_id}.pub").write_bytes(public)
        client_keys[client_id] = key
        public_files.append(str(tmp / f"{client_id}.pub"))
    services.manage("migrate", "--noinput", "-v", "0")
    services.manage("collectstatic", "--noinput", "-v", "0")
    result = subprocess.run(
        [PY, str(ROOT / "faults" / "seed.py"), *public_files], cwd=ROOT, env=services.env, check=False,
        timeout=120, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"faults/seed.py failed:\n{result.stderr[-3000:]}")
    seed = json.loads(result.stdout.strip().splitlines()[-1])
    with services.psql_connect() as conn:
        seed["kids"] = dict(conn.execute("SELECT client_id, kid FROM maskinporten_clientkey").fetchall())
    return seed, client_keys


def main() -> int:
    signal.alarm(HARD_LIMIT_SECONDS)  # whatever happens, this process ends
    missing = [tool for tool in ("haproxy", "redis-server", "psql", "taskset") if shutil.which(tool) is None]
    missing += [tool for tool in ("initdb", "pg_ctl") if pg_tool(tool) is None]
    if missing:
        print(f"The fault suite needs {', '.join(missing)} (apt-get install haproxy redis-server postgresql)",
              file=sys.stderr)  # fmt: skip
        return 2
    started = time.monotonic()
    if os.environ.get("FAULTS_TOKEND") == "1":
        cargo = shutil.which("cargo") or str(Path.home() / ".cargo/bin/cargo")
        subprocess.run([cargo, "build", "--release", "--quiet"], cwd=ROOT / "tokend", check=True, timeout=600)
    tmp = Path(tempfile.mkdtemp(prefix="sb-faults-"))
    tmp.chmod(0o755)  # PostgreSQL runs as its own user and must reach its directory
    services = Services(tmp)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    failures: list[str] = []
    try:
        ports = services.ports
        log(f"starting in {tmp}: PostgreSQL :{ports['pg']}, Redis :{ports['redis']}, SMTP :{services.sink.port}, "
            f"HAProxy :{ports['lb']} → nodes :{ports['a']}, :{ports['b']}"
            + (" (tokend in front of each gunicorn)" if services.tokend else ""))  # fmt: skip
        services.start_postgres()
        services.start_redis()
        seed, client_keys = prepare(services)
        services.start_node("a")
        services.start_node("b")
        services.start_worker()
        services.start_beat()
        services.start_haproxy()
        log(f"up after {time.monotonic() - started:.0f} s; steady load for 10 s")
        load = Load(services, seed, client_keys, stop)
        threads = load.threads()
        for thread in threads:
            thread.start()
        time.sleep(10)
        faults = Faults(services, load, seed)
        faults.all()
        log("faults done; cross-node checks")
        checks = cross_node_checks(services, load, seed)
        if services.tokend:
            issued, handed = services.tokens_by_tokend()
            print(f"tokend, since the nodes last started: {issued} tokens issued, {handed} token requests "
                  "handed to gunicorn")  # fmt: skip
            checks.append(("tokend answered tokens itself (not only handed them on)", issued > 0))
        stop.set()
        for thread in threads:
            thread.join(100)
        log("load stopped; waiting (at most 60 s) for the outbox to drain")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with services.psql_connect() as conn:
                pending = conn.execute("SELECT count(*) FROM approvals_notification WHERE status <> 'sent'").fetchone()[
                    0
                ]
            if not pending:
                break
            time.sleep(2)
        time.sleep(2)
        failures = report(faults.done, load.out.answers)
        for name, ok in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
            if not ok:
                failures.append(f"check failed: {name}")
        result = verify(services, load)
        print(f"\nrequests created {result['requests']}, approved {result['approved']}, notifications "
              f"{result['notifications']}, mails received {result['mails']}; lost {len(result['lost'])}, "
              f"duplicated mails {result['duplicated']} (at least once: a worker killed after the SMTP server "
              "took a mail sends it again)")  # fmt: skip
        failures += [f"lost: {item}" for item in result["lost"]]
    except Exception as exc:
        failures.append(f"the suite itself failed: {type(exc).__name__}: {exc}")
    finally:
        stop.set()
        services.stop_all()
        for thread in threads:
            thread.join(5)
    elapsed = time.monotonic() - started
    if failures:
        print(f"\nFAILED ({elapsed:.0f} s); logs kept in {tmp}:")
        for failure in failures[:60]:
            print(f"  - {failure}")
        if len(failures) > 60:
            print(f"  … and {len(failures) - 60} more")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nOK: no 500, nothing lost, no client error outside a fault window ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

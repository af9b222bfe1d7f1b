"""What the benchmarks in bench/ share: the server in the production profile and its processes, CPU time
from /proc, PostgreSQL's backends, raw HTTP/1.1 requests and kept-alive connections that send them,
percentiles, the databases of generated worlds and Django in the bench's own process.

A bench script keeps its own folder off the import path (bench/token.py would stand in for the standard
library's `token`) and puts the repository's root first instead, then imports this as `bench._common`:

    BENCH = Path(__file__).resolve().parent
    sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]
    from bench import _common as common
"""

import asyncio
import atexit
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from glob import glob
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# --- the server -------------------------------------------------------------------------------------

# The production profile on plain HTTP over loopback; each bench adds its database, folders and log level.
PRODUCTION_ENV = {
    "SYSTEMBRUKER_MODE": "production",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-" + "x" * 60,
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the load balancer in production
    "DB_CONN_MAX_AGE": "600",
    "TEST_LOGIN_ENABLED": "true",  # production refuses to start without a login method; a bench uses none
}


def gunicorn_command(
    port: int, workers: int, threads: int, *options: str, app: str = "config.wsgi:application"
) -> list[str]:
    """The gunicorn of the Python running this, serving the project (or `app`) on loopback (gthread if threads > 1)."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return [gunicorn, app, "--bind", f"{HOST}:{port}", "--workers", str(workers),
            "--threads", str(threads), *options]  # fmt: skip


def start_server(
    command: list[str], env: dict, *, port: int, path: str | None = None, name: str = "gunicorn", cwd: Path = REPO
) -> subprocess.Popen:
    """Start a server in a process group of its own and wait (30 s at most) until `port` takes connections,
    or, with `path`, answers it with 200; if it does not, stop it and exit."""
    server = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if path is None:
                socket.create_connection((HOST, port), timeout=1).close()
                return server
            with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"{name} did not start")


def stop_server(server: subprocess.Popen | None) -> None:
    """Stop a server started by `start_server`: its process group (the server we started, nothing else)."""
    if server is None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass  # gone already
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# --- the machine and its processes (Linux /proc) ----------------------------------------------------


def load_average() -> list[str]:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg writes them."""
    return Path("/proc/loadavg").read_text().split()[:3]


def machine() -> str:
    return f"machine: {os.cpu_count()} CPUs, load average {load_average()}"


def descendants(*roots: int) -> list[int]:
    """Every process below these (a gunicorn master's workers, a Node process's children)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, tree = set(), set(roots)
    while True:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        if not below:
            return sorted(found)
        found |= below
        tree |= below


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (clock ticks): a phase's CPU, apart from contention."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def cpu_ns(pids: list[int]) -> int:
    """CPU time (ns, every thread) the processes have used so far (/proc/<pid>/task/*/schedstat): fine
    enough for one request."""
    total = 0
    for pid in pids:
        for stat in glob(f"/proc/{pid}/task/*/schedstat"):
            try:
                total += int(Path(stat).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total


# --- PostgreSQL -------------------------------------------------------------------------------------


def _server_and_name(database_url: str) -> tuple[str, str]:
    base, name = database_url.split("?", 1)[0].rsplit("/", 1)
    return base, name


def _admin(database_url: str):
    import psycopg

    base, _ = _server_and_name(database_url)
    return psycopg.connect(base + "/postgres", autocommit=True)


def backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the database (the server's persistent connections); not autovacuum,
    and not the connection asking (it is on the `postgres` database)."""
    _, name = _server_and_name(database_url)
    with _admin(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'", (name,)
        ).fetchall()
    return [pid for (pid,) in rows]


def ensure_database(database_url: str) -> None:
    _, name = _server_and_name(database_url)
    with _admin(database_url) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    _, name = _server_and_name(database_url)
    with _admin(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    """COPY the rows into the table on a psycopg cursor; how many there were."""
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# --- Django in this process -------------------------------------------------------------------------


def setup_django(env: dict | None = None) -> None:
    """Django set up in this process, with `env` added to the environment first."""
    os.environ.update(env or {})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def scratch_django(**env: str) -> Path:
    """Django in this process on a throw-away SQLite file unless DATABASE_URL is set, mail kept in memory;
    `env` is set over what is there. Returns the scratch folder, removed when the process exits."""
    scratch = Path(tempfile.mkdtemp(prefix="sb-bench-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ.setdefault("SYSTEMBRUKER_VAR_DIR", str(scratch))
    os.environ.setdefault("EMAIL_BACKEND_CLASS", "django.core.mail.backends.locmem.EmailBackend")
    setup_django(env)
    return scratch


# --- percentiles ------------------------------------------------------------------------------------


def percentile(ordered: list[float], p: float) -> float:
    """The p-th percentile of sorted values: the value at index ⌊n·p/100⌋ (p=50: the upper median); NaN
    if there are none."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def percentiles(latencies: list[float], digits: int) -> dict:
    """p50/p95/p99 and the maximum, in ms rounded to `digits`, of latencies in seconds."""
    if not latencies:
        raise SystemExit("no request succeeded: is the server up? (see its log above)")
    ordered = sorted(latencies)
    figures = {f"p{p}_ms": round(percentile(ordered, p) * 1000, digits) for p in (50, 95, 99)}
    return figures | {"max_ms": round(ordered[-1] * 1000, digits)}


def median_p95_ms(timings_ms: list[float]) -> dict:
    """The in-process benches' figures (bench/events.py, bench/vendor_api.py, as published): the median
    (the mean of the middle two for an even count) and the value at index ⌊0.95·n⌋ - 1, in ms."""
    ordered = sorted(timings_ms)
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2)}


# --- HTTP/1.1 over loopback -------------------------------------------------------------------------


def http_request(method: str, path: str, host: str, headers=(), body: bytes | None = None) -> bytes:
    """A raw HTTP/1.1 request; with a body, its Content-Length."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *headers]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def xacml(su: str, action: str, resource: str, orgno: str) -> bytes:
    """A PDP question: may system user `su` do `action` on `resource` for organisation `orgno`?"""

    def attr(attribute_id, value):
        return {"AttributeId": attribute_id, "Value": value}

    return json.dumps(
        {
            "Request": {
                "AccessSubject": [{"Attribute": [attr("urn:altinn:systemuser:uuid", su)]}],
                "Action": [{"Attribute": [attr("urn:oasis:names:tc:xacml:1.0:action:action-id", action)]}],
                "Resource": [
                    {
                        "Attribute": [
                            attr("urn:altinn:resource", resource),
                            attr("urn:altinn:organization:identifier-no", orgno),
                        ]
                    }
                ],
            }
        }
    ).encode()


def authorize_request(host: str, bearer: str, question: bytes) -> bytes:
    """POST a PDP question (`xacml`) with a resource owner's token."""
    headers = [f"Authorization: Bearer {bearer}", "Content-Type: application/json"]
    return http_request("POST", "/authorization/api/v1/authorize", host, headers, question)


def token_request(host: str, form: bytes) -> bytes:
    """POST a grant (a url-encoded form) to /token."""
    return http_request("POST", "/token", host, ["Content-Type: application/x-www-form-urlencoded"], form)


def _head(head: bytes) -> tuple[int, int, bool]:
    """(status, Content-Length, whether the server closes) of a response's head; no chunked bodies."""
    status, length, close = int(head.split(b" ", 2)[1]), 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value == b"close":
            close = True
        elif name == b"transfer-encoding" and value == b"chunked":
            raise RuntimeError("chunked responses are not expected here")
    return status, length, close


class Connection:
    """A minimal HTTP/1.1 client on one kept-alive socket (cheap: the CPU stays with the server). `send`
    returns a 200's (status, body) and raises RuntimeError for any other status; a request whose socket
    fails (the server closed a kept-alive connection) is sent once more on a new one."""

    def __init__(self, port: int, timeout: float = 10):
        self.port, self.timeout, self.sock, self.buffer = port, timeout, None, b""

    def send(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.sock is None:
                self.sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.buffer = b""
            try:
                self.sock.sendall(request)
                head, status, body = self._response()
            except OSError:
                self.close()
                if attempt == 2:
                    raise
                continue
            if status != 200:
                raise RuntimeError(f"{head.split(b'\r\n')[0].decode()}: {body[:300]!r}")
            return status, body
        raise OSError("unreachable")

    def _response(self) -> tuple[bytes, int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status, length, close = _head(head)
        while len(rest) < length:
            self.buffer = rest
            self._fill()
            rest = self.buffer
        body, self.buffer = rest[:length], rest[length:]
        if close:
            self.close()
        return head, status, body

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("closed")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


class AsyncConnection:
    """One HTTP/1.1 keep-alive connection for asyncio; reopened if the server closes it. `send` returns
    (status, body) whatever the status."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                await self.open()
            try:
                self.writer.write(request)
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
                continue  # the server closed an idle keep-alive connection: once more on a new one
            status, length, close = _head(head[:-4])
            body = await self.reader.readexactly(length)
            if close:
                self.close()
            return status, body
        raise OSError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def timed_send(connection: AsyncConnection, request: bytes, start: float) -> tuple[int, float]:
    """(status, seconds since `start`); status 0 for no answer within 10 s or a broken connection."""
    try:
        status, _ = await asyncio.wait_for(connection.send(request), timeout=10)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, RuntimeError):
        connection.close()
        status = 0
    return status, time.perf_counter() - start


async def closed_loop(port: int, requests: list[bytes], concurrency: int, seconds: float) -> tuple[list, float]:
    """`concurrency` keep-alive connections (opened before the clock starts) sending the requests in turn
    until they run out or `seconds` pass: ([(status, seconds), ...], elapsed seconds)."""
    results, queue = [], iter(requests)
    connections = [AsyncConnection(port) for _ in range(concurrency)]
    for connection in connections:
        await connection.open()
    deadline = time.perf_counter() + seconds

    async def worker(connection: AsyncConnection):
        for request in queue:
            if time.perf_counter() > deadline:
                return
            results.append(await timed_send(connection, request, time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return results, elapsed

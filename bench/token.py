# ruff: noqa: E402  (the path fix below must run before the first standard-library import)
"""Benchmark of the token endpoint: system-user grants against gunicorn + PostgreSQL, DEBUG off.

    .venv/bin/python bench/token.py [--workers 3] [--seconds 10] [--concurrency 16] [--rate 100]

What it does, and it stops by itself (every phase is bounded by a request count and a deadline):
1. (Re)creates the PostgreSQL database `sb_h3_bench` (DATABASE_URL's server, default 127.0.0.1:5432), migrates it,
   and prepares 10 token clients (each on its own system of one vendor) and 1,000 customers with a
   system user each.
2. Starts gunicorn on 127.0.0.1:8103 with production settings from the environment (DEBUG off).
3. Starts a separate load process which pre-signs all its assertions before each timed phase, then
   - saturation: `--concurrency` connections in a closed loop for `--seconds` → tokens/s, p50/p95/p99;
   - paced: `--rate` tokens/s open-loop for `--seconds` (latency counted from the planned send time,
     so a stall is not hidden) → p50/p95/p99;
   - exchange: system-user tokens fetched first, then `GET /authentication/api/v1/exchange/maskinporten`
     for each, `--concurrency` connections in a closed loop → platform tokens/s, p50/p95/p99, CPU per exchange.
   Server CPU per token = CPU time of the gunicorn processes (and, separately, of the PostgreSQL
   backends serving them) during the saturation phase, divided by the tokens issued.
4. Stops gunicorn and drops the database.
"""

import os
import sys

# This file shares its name with the standard library's `token` module: keep its folder off the path.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import asyncio
import json
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8103"))
DB_NAME = os.environ.get("BENCH_DB_NAME", "sb_h3_bench")  # another name when several people bench at once
CLIENTS, CUSTOMERS = 10, 1000
SCOPE = "altinn:bench/krav.read"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
HARD_LIMIT_SECONDS = 900


def db_url(name: str) -> str:
    base = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    return f"{base}/{name}"


def server_env(tmp: Path, db_options: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_"))}
    env.update(
        SYSTEMBRUKER_MODE="production",
        DEBUG="false",
        SECRET_KEY="bench-only-" + uuid.uuid4().hex * 2,
        ALLOWED_HOSTS=HOST,
        PORTAL_BASE_URL=f"http://{HOST}:{PORT}",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; TLS is the proxy's job in production
        DATABASE_URL=db_url(DB_NAME) + (f"?{db_options}" if db_options else ""),
        DB_CONN_MAX_AGE="600",
        TOKEN_SIGNING_KEY_FILES=str(tmp / "signing.pem"),
        SYSTEMBRUKER_VAR_DIR=str(tmp),
        STATIC_ROOT=str(tmp),  # the token endpoint serves no static files; an existing folder keeps WhiteNoise quiet
        LOG_LEVEL="ERROR",  # refused grants are logged as 4xx warnings; the bench counts them itself
        TEST_LOGIN_ENABLED="true",  # a bench installation; production would configure ID-porten
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


# --- orchestration --------------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def write_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


def wait_until_up(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/jwk", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gunicorn's gthread worker class")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--db-options", default="", help="query string for DATABASE_URL, e.g. server_side_binding=true")
    args = parser.parse_args()
    signal.alarm(HARD_LIMIT_SECONDS)  # whatever happens, this process ends

    with tempfile.TemporaryDirectory(prefix="bench-token-") as tmpdir:
        tmp = Path(tmpdir)
        env = server_env(tmp, args.db_options)
        write_key(tmp / "signing.pem")
        write_key(tmp / "client.pem")
        print(f"machine: {os.cpu_count()} CPUs, load average {Path('/proc/loadavg').read_text().split()[:3]}")
        recreate_database()
        server = None
        try:
            subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
            subprocess.run([PY, __file__, "prepare", str(tmp)], cwd=ROOT, env=env, check=True)
            server = subprocess.Popen(
                [str(Path(PY).parent / "gunicorn"), "config.wsgi:application", "-b", f"{HOST}:{PORT}",
                 "-w", str(args.workers), "--threads", str(args.threads), "--backlog", "512", "--log-level", "warning"],
                cwd=ROOT, env=env, start_new_session=True,
            )  # fmt: skip
            wait_until_up(time.monotonic() + 30)
            load = subprocess.run(
                [PY, __file__, "load", str(tmp), "--server-pid", str(server.pid), "--seconds", str(args.seconds),
                 "--concurrency", str(args.concurrency), "--rate", str(args.rate)],
                cwd=ROOT, env=env, check=True, timeout=HARD_LIMIT_SECONDS - 60,
            )  # fmt: skip
            del load
            kind = f"gthread workers × {args.threads} threads" if args.threads > 1 else "sync workers"
            print(f"gunicorn: {args.workers} {kind}; PostgreSQL on the same machine; load over loopback")
            print(f"database options: {args.db_options or '(none)'}")
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)  # the group of the gunicorn we started, nothing else
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
            drop_database()


# --- prepare (runs inside Django) -----------------------------------------------------------------


def prepare(tmp: Path) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from cryptography.hazmat.primitives import serialization

    from lib.identifiers import make_orgno
    from maskinporten.clients import register_client
    from registry.models import Organisation, RegisteredSystem, SystemClient, SystemUser

    def orgnos():
        base = 50000000
        while True:
            base += 1
            orgno = make_orgno(str(base))
            if orgno:
                yield orgno

    numbers = orgnos()
    private = serialization.load_pem_private_key((tmp / "client.pem").read_bytes(), password=None)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    vendor = Organisation.objects.create(orgno=next(numbers), name="Benk Leverandør AS")
    clients = []
    for i in range(CLIENTS):
        system = RegisteredSystem.objects.create(
            system_id=f"{vendor.orgno}_bench{i}", vendor=vendor, name={"nb": f"Benk {i}"}
        )
        client, key = register_client(
            owner=vendor, scopes=[SCOPE], public_key=public_pem, client_id=f"bench-client-{i}", actor="bench"
        )
        SystemClient.objects.create(system=system, client_id=client.client_id)
        clients.append({"client_id": client.client_id, "kid": key.kid, "system": system})
    customers = Organisation.objects.bulk_create(
        [Organisation(orgno=next(numbers), name=f"Kunde {i} AS") for i in range(CUSTOMERS)]
    )
    SystemUser.objects.bulk_create(
        [
            SystemUser(
                integration_title="Benk",
                owner=org,
                system=clients[i % CLIENTS]["system"],
                external_ref=org.orgno,
            )
            for i, org in enumerate(customers)
        ]
    )
    pairs = [
        {"client_id": clients[i % CLIENTS]["client_id"], "kid": clients[i % CLIENTS]["kid"], "orgno": org.orgno}
        for i, org in enumerate(customers)
    ]
    issuer = os.environ["PORTAL_BASE_URL"].rstrip("/") + "/"
    (tmp / "pairs.json").write_text(json.dumps({"issuer": issuer, "pairs": pairs}))
    print(f"prepared {CLIENTS} clients, {CUSTOMERS} customers with a system user each")


# --- load (a separate process) --------------------------------------------------------------------


class Grants:
    """Pre-signed assertions. Signed just before a phase, with `iat` set so that the whole phase falls
    inside the server's ±10 s iat window (the server allows at most 120 s between iat and exp)."""

    def __init__(self, tmp: Path):
        from cryptography.hazmat.primitives import serialization

        self.key = serialization.load_pem_private_key((tmp / "client.pem").read_bytes(), password=None)
        data = json.loads((tmp / "pairs.json").read_text())
        self.issuer, self.pairs = data["issuer"], data["pairs"]

    def sign(self, count: int, sign_ms: float) -> tuple[list[bytes], float]:
        """`count` requests, and until when (time.time()) the server will accept their iat."""
        import jwt

        ready_at = time.time() + count * sign_ms / 1000 * 1.2
        iat = int(ready_at) + 9  # accepted from ready_at - 1 to ready_at + 19
        bodies = []
        for i in range(count):
            pair = self.pairs[i % len(self.pairs)]
            claims = {
                "aud": self.issuer, "iss": pair["client_id"], "iat": iat, "exp": iat + 100,
                "jti": uuid.uuid4().hex, "scope": SCOPE,
                "authorization_details": [{"type": "urn:altinn:systemuser", "systemuser_org": {
                    "authority": "iso6523-actorid-upis", "ID": f"0192:{pair['orgno']}"}}],
            }  # fmt: skip
            assertion = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": pair["kid"]})
            body = urlencode({"grant_type": GRANT_TYPE, "assertion": assertion}).encode()
            bodies.append(
                b"POST /token HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
        if time.time() < ready_at:
            time.sleep(ready_at - time.time())
        return bodies, iat + 9


async def send(request: bytes) -> int:
    reader, writer = await asyncio.open_connection(HOST, PORT)
    try:
        writer.write(request)
        await writer.drain()
        response = await reader.read()
        return int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
    finally:
        writer.close()


async def fetch_body(request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(HOST, PORT)
    try:
        writer.write(request)
        await writer.drain()
        return (await reader.read()).partition(b"\r\n\r\n")[2]
    finally:
        writer.close()


async def fetch_tokens(requests: list[bytes], concurrency: int) -> list[str]:
    limit = asyncio.Semaphore(concurrency)

    async def one(request: bytes) -> str:
        async with limit:
            return json.loads(await fetch_body(request))["access_token"]

    return await asyncio.gather(*(one(request) for request in requests))


def exchange_request(access_token: str) -> bytes:
    return (
        b"GET /authentication/api/v1/exchange/maskinporten HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n"
        b"Authorization: Bearer " + access_token.encode() + b"\r\nConnection: close\r\n\r\n"
    )


async def timed_send(request: bytes, start: float) -> tuple[int, float]:
    try:
        status = await asyncio.wait_for(send(request), timeout=10)
    except (TimeoutError, OSError):
        status = 0
    return status, time.perf_counter() - start


async def closed_loop(requests: list[bytes], concurrency: int, seconds: float) -> tuple[list, float]:
    results, queue = [], iter(requests)
    deadline = time.perf_counter() + seconds

    async def worker():
        for request in queue:
            if time.perf_counter() > deadline:
                return
            results.append(await timed_send(request, time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results, time.perf_counter() - started


async def open_loop(requests: list[bytes], rate: float) -> list:
    started = time.perf_counter()
    tasks = []
    for i, request in enumerate(requests):
        planned = started + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed_send(request, planned)))
    return await asyncio.gather(*tasks)


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p / 100))] if sorted_ms else float("nan")


def summary(results: list) -> tuple[str, int]:
    ok = sorted(ms * 1000 for status, ms in results if status == 200)
    failed = len(results) - len(ok)
    text = f"p50 {percentile(ok, 50):.1f} ms, p95 {percentile(ok, 95):.1f} ms, p99 {percentile(ok, 99):.1f} ms"
    return text + (f", {failed} FAILED" if failed else ", 0 failed"), len(ok)


def cpu_seconds(pids: list[int]) -> float:
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def gunicorn_pids(master: int) -> list[int]:
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def database_pids() -> list[int]:
    import psycopg

    with psycopg.connect(db_url(DB_NAME), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB_NAME]
        ).fetchall()
    return [row[0] for row in rows]


def load(tmp: Path, server_pid: int, seconds: float, concurrency: int, rate: float) -> None:
    grants = Grants(tmp)
    seconds = min(seconds, 15)  # the iat window of pre-signed grants
    t0 = time.time()
    grants.sign(100, sign_ms=0)
    sign_ms = (time.time() - t0) / 100 * 1000
    warm, _ = grants.sign(300, sign_ms)
    asyncio.run(closed_loop(warm, concurrency, seconds=5))  # connections and caches warm in every worker

    # Saturation. Signed for up to 1,000 tokens/s; if more are needed, the phase ends early (and says so).
    batch, valid_until = grants.sign(int(seconds * 1000), sign_ms)
    app_pids, db_pids = gunicorn_pids(server_pid), database_pids()
    app_cpu, db_cpu, load_cpu = cpu_seconds(app_pids), cpu_seconds(db_pids), time.process_time()
    phase = min(seconds, valid_until - time.time() - 1)
    results, elapsed = asyncio.run(closed_loop(batch, concurrency, seconds=phase))
    app_cpu, db_cpu = cpu_seconds(app_pids) - app_cpu, cpu_seconds(db_pids) - db_cpu
    load_cpu = time.process_time() - load_cpu
    text, ok = summary(results)
    exhausted = " (grants ran out: raise the budget)" if len(results) == len(batch) else ""
    print(f"saturation, {concurrency} concurrent: {ok / elapsed:.0f} tokens/s over {elapsed:.1f} s{exhausted}; {text}")
    per_token = [cpu / max(ok, 1) * 1000 for cpu in (app_cpu, db_cpu, load_cpu)]
    print(
        f"server CPU per token: {per_token[0]:.2f} ms in gunicorn + {per_token[1]:.2f} ms in PostgreSQL "
        f"(load generator: {per_token[2]:.2f} ms)"
    )
    busy = os.cpu_count() * 1000 / sum(per_token)
    print(f"  → if this machine ran nothing else: about {busy:.0f} tokens/s before its CPUs are full")

    count = int(rate * seconds)
    paced, _ = grants.sign(count, sign_ms)
    results = asyncio.run(open_loop(paced, rate))
    text, ok = summary(results)
    print(f"paced at {rate:.0f} tokens/s for {count / rate:.0f} s: {text}")

    # The exchange for platform tokens (issue 20): the access tokens are fetched first (they live 120 s).
    signed, _ = grants.sign(int(seconds * 200), sign_ms)
    exchanges = [exchange_request(token) for token in asyncio.run(fetch_tokens(signed, concurrency))]
    db_pids = sorted(set(db_pids) | set(database_pids()))
    app_cpu, db_cpu = cpu_seconds(app_pids), cpu_seconds(db_pids)
    results, elapsed = asyncio.run(closed_loop(exchanges, concurrency, seconds=seconds))
    app_cpu, db_cpu = cpu_seconds(app_pids) - app_cpu, cpu_seconds(db_pids) - db_cpu
    text, ok = summary(results)
    exhausted = " (tokens ran out: raise the budget)" if len(results) == len(exchanges) else ""
    rate_text = f"{ok / elapsed:.0f} platform tokens/s over {elapsed:.1f} s{exhausted}"
    print(f"exchange, {concurrency} concurrent: {rate_text}; {text}")
    print(
        f"server CPU per exchange: {app_cpu / max(ok, 1) * 1000:.2f} ms in gunicorn + "
        f"{db_cpu / max(ok, 1) * 1000:.2f} ms in PostgreSQL"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "prepare":
        prepare(Path(sys.argv[2]))
    elif len(sys.argv) > 2 and sys.argv[1] == "load":
        p = argparse.ArgumentParser()
        p.add_argument("tmp")
        p.add_argument("--server-pid", type=int, required=True)
        p.add_argument("--seconds", type=float, required=True)
        p.add_argument("--concurrency", type=int, required=True)
        p.add_argument("--rate", type=float, required=True)
        a = p.parse_args(sys.argv[2:])
        load(Path(a.tmp), a.server_pid, a.seconds, a.concurrency, a.rate)
    else:
        main()

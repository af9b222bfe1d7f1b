# ruff: noqa: E402  (the path fix below must run before the first standard-library import)
"""Benchmark of the token endpoint, side by side with a dedicated OAuth server (issue 19).

    .venv/bin/python bench/token.py                # everything below, one command, prints both sides

Ours: system-user grants (JWT-bearer + authorization_details) against gunicorn + PostgreSQL in the
production profile (DEBUG off, gthread 2 workers × 8 threads, persistent connections, prepared
statements; `--server granian` for granian's WSGI server instead, if it is installed). The peer:
node-oidc-provider from tests/oidc_provider (bench/token_peer.mjs) doing client_credentials with
private_key_jwt, replay check, RS256 JWT access token, in memory, one process.

What it does, and it stops by itself (every phase is bounded by a request count and a deadline):
1. (Re)creates the PostgreSQL database BENCH_DB_NAME (default sb_h3_bench; server BENCH_DATABASE_SERVER,
   default postgres://postgres@127.0.0.1:5432), migrates it, and prepares 10 token clients (each on its
   own system of one vendor) and 1,000 customers with a system user each; the peer gets the same 10
   clients with the same public key.
2. Starts gunicorn on 127.0.0.1:BENCH_PORT (default 8103) and the peer on BENCH_PEER_PORT (default
   BENCH_PORT + 1).
3. A separate load process pre-signs all RS256 assertions before each timed phase, then for each of
   `--rounds` rounds, the two servers alternating (the first one swaps every round):
   - saturation: `--concurrency` keep-alive connections in a closed loop for `--seconds` → tokens/s,
     p50/p99, and server CPU per token from process CPU times (/proc: gunicorn master and workers plus
     the PostgreSQL backends; the Node process for the peer), not wall time;
   - paced: `--rate` tokens/s open loop for `--seconds` (latency counted from the planned send time, so a
     stall is not hidden) → p50/p99.
   Then it prints the medians of both sides and their ratio, and (unless --no-exchange) measures
   `GET /authentication/api/v1/exchange/maskinporten` on ours.
4. Stops both servers and drops the database.
"""

import sys
from pathlib import Path

# This file shares its name with the standard library's `token` module: keep its folder off the import path
# and put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse
import asyncio
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urlencode

from bench import _common as common
from bench._common import percentile

ROOT = common.REPO
PY = sys.executable
HOST, PORT = common.HOST, int(os.environ.get("BENCH_PORT", "8103"))
PEER_PORT = int(os.environ.get("BENCH_PEER_PORT", str(PORT + 1)))
DB_NAME = os.environ.get("BENCH_DB_NAME", "sb_h3_bench")  # another name when several people bench at once
CLIENTS, CUSTOMERS = 10, 1000
SCOPE = "altinn:bench/krav.read"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PEER_RESOURCE = "https://bench.systembruker.test/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HARD_LIMIT_SECONDS = 1200
MAX_BATCH = 20_000  # grants signed for one saturation phase at most


def db_url(name: str) -> str:
    base = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    return f"{base}/{name}"


def server_env(tmp: Path, db_options: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SYSTEMBRUKER_"))}
    env.update(common.PRODUCTION_ENV)
    env.update(
        PORTAL_BASE_URL=f"http://{HOST}:{PORT}",
        DATABASE_URL=db_url(DB_NAME) + (f"?{db_options}" if db_options else ""),
        TOKEN_SIGNING_KEY_FILES=str(tmp / "signing.pem"),
        SYSTEMBRUKER_VAR_DIR=str(tmp),
        STATIC_ROOT=str(tmp),  # the token endpoint serves no static files; an existing folder keeps WhiteNoise quiet
        LOG_LEVEL="ERROR",  # refused grants are logged as 4xx warnings; the bench counts them itself
        TOKEN_RATE_PER_ADDRESS="100000000",  # all load comes from one address; the limits stay on (counted)
        TOKEN_RATE_PER_CLIENT="100000000",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


# --- orchestration --------------------------------------------------------------------------------


def write_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


APPS = {
    "project": "config.wsgi:application",
    "floor": "bench.token_floor:floor",
    "hello": "bench.token_floor:hello",
    "tokend": "tokend in front of gunicorn serving config.wsgi:application",
}
TOKEND = ROOT / "tokend"


def server_command(args, tmp: Path, env: dict) -> list[str]:
    app = APPS[args.app]
    if args.app == "tokend":  # tokend on PORT, the project's gunicorn behind it on PORT + 2 (one process group)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=TOKEND, check=True)
        env["PROXY_COUNT"] = "1"  # tokend is the application's proxy (tokend/README.md)
        config = tmp / "tokend.json"
        subprocess.run([PY, "manage.py", "tokend_config", str(config)], cwd=ROOT, env=env, check=True)
        behind = common.gunicorn_command(
            PORT + 2, args.workers, args.threads, "--log-level", "warning", app=APPS["project"]
        )
        tokend = [str(TOKEND / "target/release/tokend"), str(config), f"{HOST}:{PORT}", f"http://{HOST}:{PORT + 2}"]
        return ["sh", "-c", f"{shlex.join(behind)} & exec {shlex.join(tokend)}"]
    if args.server == "granian":
        return [PY, "-m", "granian", "--interface", "wsgi", "--host", HOST, "--port", str(PORT), "--http", "1",
                "--workers", str(args.workers), "--blocking-threads", str(args.threads), "--backlog", "1024",
                "--no-ws", "--log-level", "warning", app]  # fmt: skip
    return common.gunicorn_command(
        PORT, args.workers, args.threads, "--backlog", "1024", "--log-level", "warning", app=app
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--server", choices=["gunicorn", "granian"], default="gunicorn", help="granian: pip install granian==2.8.7"
    )
    parser.add_argument(
        "--app",
        choices=list(APPS),
        default="project",
        help="floor, hello: bench/token_floor.py (floors, not ours); tokend: ours with tokend in front",
    )
    parser.add_argument("--workers", type=int, default=2)
    # Threads: a durable commit waits ≈ 3 ms for the disk here, so more requests than cores must be in
    # flight for the CPU to stay busy (2 × 2 gave a third of the tokens/s of 2 × 8 in the same minutes).
    parser.add_argument("--threads", type=int, default=8, help="gthread threads (granian: blocking threads)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase and side (at most 15)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--db-options", default="prepare_threshold=5", help="query string for DATABASE_URL")
    parser.add_argument("--no-peer", action="store_true", help="ours only")
    parser.add_argument("--no-exchange", action="store_true", help="skip the exchange phase")
    args = parser.parse_args()
    if args.app not in ("project", "tokend"):
        args.no_exchange = True  # the floors serve /token only
    signal.alarm(HARD_LIMIT_SECONDS)  # whatever happens, this process ends
    node = shutil.which("node")
    peer_wanted = not args.no_peer
    if peer_wanted and (node is None or not (ROOT / "tests/oidc_provider/node_modules/oidc-provider").exists()):
        raise SystemExit("the peer needs node and `npm ci` in tests/oidc_provider (or pass --no-peer)")

    with tempfile.TemporaryDirectory(prefix="bench-token-") as tmpdir:
        tmp = Path(tmpdir)
        env = server_env(tmp, args.db_options)
        write_key(tmp / "signing.pem")
        for i in range(CLIENTS):  # one key per client: a key may be registered on one client only
            write_key(tmp / f"client-{i}.pem")
        print(common.machine())
        common.drop_database(db_url(DB_NAME))
        common.ensure_database(db_url(DB_NAME))
        server = peer = None
        try:
            subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
            subprocess.run([PY, __file__, "prepare", str(tmp)], cwd=ROOT, env=env, check=True)
            server = common.start_server(server_command(args, tmp, env), env, port=PORT, path="/jwk", name=args.server)
            if peer_wanted:
                peer = common.start_server(
                    [node, str(ROOT / "bench/token_peer.mjs")], port=PEER_PORT,
                    env={**os.environ, "PORT": str(PEER_PORT), "PEER_CONFIG": str(tmp / "peer.json"),
                         "NODE_ENV": "production"},
                    path="/.well-known/openid-configuration", name="peer",
                )  # fmt: skip
            kind = f"{args.workers} workers × {args.threads} threads"
            print(
                f"ours: {'tokend, and behind it ' if args.app == 'tokend' else ''}{args.server} serving "
                f"{APPS['project' if args.app == 'tokend' else args.app]}, {kind}, "
                f"database options {args.db_options or '(none)'}; PostgreSQL on this machine"
            )
            if peer_wanted:
                version = json.loads((ROOT / "tests/oidc_provider/node_modules/oidc-provider/package.json").read_text())
                print(f"peer: node-oidc-provider {version['version']} on Node {subprocess.run([node, '--version'],
                      capture_output=True, text=True).stdout.strip()}, one process, in memory")  # fmt: skip
            command = [PY, __file__, "load", str(tmp), "--server-pid", str(server.pid), "--seconds", str(args.seconds),
                       "--concurrency", str(args.concurrency), "--rate", str(args.rate),
                       "--rounds", str(args.rounds)]  # fmt: skip
            if peer is not None:
                command += ["--peer-pid", str(peer.pid)]
            if args.no_exchange:
                command += ["--no-exchange"]
            subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=HARD_LIMIT_SECONDS - 60)
        finally:
            common.stop_server(server)
            common.stop_server(peer)
            common.drop_database(db_url(DB_NAME))


# --- prepare (runs inside Django) -----------------------------------------------------------------


def prepare(tmp: Path) -> None:
    common.setup_django()
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

    def public_pem(i: int) -> str:
        private = serialization.load_pem_private_key((tmp / f"client-{i}.pem").read_bytes(), password=None)
        public = private.public_key()
        return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    vendor = Organisation.objects.create(orgno=next(numbers), name="Benk Leverandør AS")
    clients = []
    for i in range(CLIENTS):
        system = RegisteredSystem.objects.create(
            system_id=f"{vendor.orgno}_bench{i}", vendor=vendor, name={"nb": f"Benk {i}"}
        )
        client, key = register_client(
            owner=vendor, scopes=[SCOPE], public_key=public_pem(i), client_id=f"bench-client-{i}", actor="bench"
        )
        SystemClient.objects.create(system=system, client_id=client.client_id)
        clients.append({"client_id": client.client_id, "kid": key.kid, "system": system, "jwk": key.public_jwk})
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
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum would have (it is off on some machines): without statistics the planner walked
        # every system user of the vendor's system for each grant (0.23 against 0.08 ms of PostgreSQL).
        cursor.execute("VACUUM ANALYZE")
    pairs = [
        {"client_id": clients[i % CLIENTS]["client_id"], "kid": clients[i % CLIENTS]["kid"], "orgno": org.orgno}
        for i, org in enumerate(customers)
    ]
    issuer = os.environ["PORTAL_BASE_URL"].rstrip("/") + "/"
    (tmp / "pairs.json").write_text(json.dumps({"issuer": issuer, "pairs": pairs}))
    peer_clients = [{"client_id": c["client_id"], "jwk": c["jwk"]} for c in clients]
    (tmp / "peer.json").write_text(json.dumps({"clients": peer_clients, "scope": SCOPE, "resource": PEER_RESOURCE}))
    print(f"prepared {CLIENTS} clients, {CUSTOMERS} customers with a system user each")


# --- load (a separate process) --------------------------------------------------------------------


class Grants:
    """Pre-signed assertions for one side. Ours are signed just before a phase, with `iat` set so that the
    whole phase falls inside the server's ±10 s iat window (at most 120 s between iat and exp); the
    peer's are client assertions (iss = sub = client id, aud = its issuer) for client_credentials."""

    def __init__(self, tmp: Path, *, peer: bool):
        from cryptography.hazmat.primitives import serialization

        self.keys = {
            i: serialization.load_pem_private_key((tmp / f"client-{i}.pem").read_bytes(), password=None)
            for i in range(CLIENTS)
        }
        data = json.loads((tmp / "pairs.json").read_text())
        self.pairs, self.peer = data["pairs"], peer
        self.port = PEER_PORT if peer else PORT
        self.audience = f"http://{HOST}:{PEER_PORT}" if peer else data["issuer"]
        self.sign_ms = 1.0

    def sign(self, count: int) -> tuple[list[bytes], float]:
        """`count` requests, and until when (time.time()) the server will accept them."""
        import jwt

        started = time.time()
        ready_at = started + count * self.sign_ms / 1000 * 1.3 + 0.5
        iat = int(ready_at) + 9  # ours: accepted from ready_at - 1 to ready_at + 19
        if self.peer:
            iat = int(started)
        requests = []
        for i in range(count):
            pair = self.pairs[i % len(self.pairs)]
            private_key = self.keys[i % len(self.pairs) % CLIENTS]
            claims = {
                "aud": self.audience,
                "iss": pair["client_id"],
                "iat": iat,
                "exp": iat + 100,
                "jti": uuid.uuid4().hex,
            }
            if self.peer:
                claims["sub"] = pair["client_id"]
                form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "scope": SCOPE}
                key = "client_assertion"
            else:
                claims["scope"] = SCOPE
                claims["authorization_details"] = [{"type": "urn:altinn:systemuser", "systemuser_org": {
                    "authority": "iso6523-actorid-upis", "ID": f"0192:{pair['orgno']}"}}]  # fmt: skip
                form, key = {"grant_type": GRANT_TYPE}, "assertion"
            form[key] = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": pair["kid"]})
            requests.append(common.token_request(f"{HOST}:{self.port}", urlencode(form).encode()))
        if count:
            self.sign_ms = (time.time() - started) / count * 1000
        if not self.peer and time.time() < ready_at:
            time.sleep(ready_at - time.time())
        return requests, (iat + 9 if not self.peer else iat + 90)


async def open_loop(port: int, requests: list[bytes], rate: float) -> list:
    """Sent at the planned times whatever the answers; a pool of keep-alive connections grows as needed."""
    idle = [common.AsyncConnection(port) for _ in range(4)]
    for connection in idle:
        await connection.open()

    async def one(request: bytes, planned: float):
        connection = idle.pop() if idle else common.AsyncConnection(port)
        result = await common.timed_send(connection, request, planned)
        idle.append(connection)
        return result

    started = time.perf_counter()
    tasks = []
    for i, request in enumerate(requests):
        planned = started + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, planned)))
    results = await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    return results


async def fetch_tokens(port: int, requests: list[bytes], concurrency: int) -> list[str]:
    connections = [common.AsyncConnection(port) for _ in range(concurrency)]
    queue, tokens = iter(requests), []

    async def worker(connection: common.AsyncConnection):
        for request in queue:
            status, body = await connection.send(request)
            if status == 200:
                tokens.append(json.loads(body)["access_token"])
        connection.close()

    await asyncio.gather(*(worker(c) for c in connections))
    return tokens


def exchange_request(access_token: str) -> bytes:
    path = "/authentication/api/v1/exchange/maskinporten"
    return common.http_request("GET", path, HOST, [f"Authorization: Bearer {access_token}"])


def latencies(results: list) -> tuple[list[float], int]:
    ok = sorted(ms * 1000 for status, ms in results if status == 200)
    return ok, len(results) - len(ok)


def process_tree(root: int) -> list[int]:
    return [root, *common.descendants(root)]


def database_pids() -> list[int]:
    return common.backend_pids(db_url(DB_NAME))


def check_once(port: int, request: bytes) -> str:
    """What one answer looks like (the token's JOSE header and claims), and the same grant sent again."""
    import base64

    async def twice():
        connection = common.AsyncConnection(port)
        first = await connection.send(request)
        second = await connection.send(request)
        connection.close()
        return first, second

    (status, body), (replay_status, replay_body) = asyncio.run(twice())
    if status != 200:
        raise SystemExit(f"port {port}: {status} {body[:300]!r}")
    parts = json.loads(body)["access_token"].split(".")
    header, claims = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    return (
        f"token {header.get('alg')} typ {header.get('typ')}, claims {sorted(claims)}; "
        f"the same grant again → {replay_status} {json.loads(replay_body).get('error')}"
    )


def loadavg() -> str:
    return common.load_average()[0]


class Side:
    def __init__(self, name: str, grants: Grants, pids):
        self.name, self.grants, self.pids = name, grants, pids
        self.rates, self.p50, self.p99, self.paced_p50, self.paced_p99 = [], [], [], [], []
        self.cpu, self.db_cpu, self.tokens, self.failed = 0.0, 0.0, 0, 0
        self.expected = 1500.0  # tokens/s, for the first batch; then the last measured rate

    def saturation(self, concurrency: int, seconds: float) -> str:
        batch, valid_until = self.grants.sign(min(MAX_BATCH, int(self.expected * seconds * 1.3) + 200))
        app, db = self.pids()
        app_cpu, db_cpu = common.cpu_seconds(app), common.cpu_seconds(db)
        load = loadavg()
        phase = min(seconds, valid_until - time.time() - 1)
        results, elapsed = asyncio.run(common.closed_loop(self.grants.port, batch, concurrency, phase))
        app_cpu, db_cpu = common.cpu_seconds(app) - app_cpu, common.cpu_seconds(db) - db_cpu
        ok, failed = latencies(results)
        rate = len(ok) / elapsed
        self.expected = max(rate, 200.0)
        self.rates.append(rate)
        self.p50.append(percentile(ok, 50))
        self.p99.append(percentile(ok, 99))
        self.cpu, self.db_cpu = self.cpu + app_cpu, self.db_cpu + db_cpu
        self.tokens, self.failed = self.tokens + len(ok), self.failed + failed
        per = f"{(app_cpu + db_cpu) / max(len(ok), 1) * 1000:.2f} ms"
        if db:
            per += f" ({app_cpu / max(len(ok), 1) * 1000:.2f} app + {db_cpu / max(len(ok), 1) * 1000:.2f} PostgreSQL)"
        ran_out = " (grants ran out)" if len(results) == len(batch) else ""
        return (
            f"  {self.name:5} saturation: {rate:6.0f} tokens/s over {elapsed:4.1f} s{ran_out}, "
            f"p50 {self.p50[-1]:.1f} ms, "
            f"p99 {self.p99[-1]:.1f} ms, {failed} failed; CPU per token {per}; load average {load}"
        )

    def paced(self, rate: float, seconds: float) -> str:
        batch, _ = self.grants.sign(int(rate * seconds))
        load = loadavg()
        ok, failed = latencies(asyncio.run(open_loop(self.grants.port, batch, rate)))
        self.paced_p50.append(percentile(ok, 50))
        self.paced_p99.append(percentile(ok, 99))
        self.failed += failed
        return (
            f"  {self.name:5} paced at {rate:.0f}/s: p50 {self.paced_p50[-1]:.1f} ms, p95 {percentile(ok, 95):.1f} ms, "
            f"p99 {self.paced_p99[-1]:.1f} ms, max {ok[-1] if ok else float('nan'):.1f} ms, {failed} failed; "
            f"load average {load}"
        )

    def cpu_per_token(self) -> float:
        return (self.cpu + self.db_cpu) / max(self.tokens, 1) * 1000


def load(tmp: Path, server_pid: int, peer_pid: int | None, args) -> None:
    seconds = min(args.seconds, 15)  # the iat window of pre-signed grants
    ours = Side("ours", Grants(tmp, peer=False), lambda: (process_tree(server_pid), database_pids()))
    sides = [ours]
    if peer_pid is not None:
        sides.append(Side("peer", Grants(tmp, peer=True), lambda: (process_tree(peer_pid), [])))
    for side in sides:  # connections, caches and JIT warm; the token's form and the replay check, seen once
        warm, _ = side.grants.sign(600)
        print(f"{side.name}: {check_once(side.grants.port, warm[0])}", flush=True)
        results, _ = asyncio.run(common.closed_loop(side.grants.port, warm[1:], args.concurrency, seconds=5))
        ok, failed = latencies(results)
        if failed:
            raise SystemExit(f"{side.name}: {failed} of {len(results)} warm-up requests failed")
    for round_ in range(1, args.rounds + 1):
        order = sides if round_ % 2 else sides[::-1]
        print(f"round {round_}:", flush=True)
        for side in order:
            print(side.saturation(args.concurrency, seconds), flush=True)
        for side in order:
            print(side.paced(args.rate, seconds), flush=True)

    median = statistics.median
    print(f"\nmedians of {args.rounds} rounds ({args.concurrency} keep-alive connections; paced {args.rate:.0f}/s):")
    header = f"{'':34}" + "".join(f"{s.name:>14}" for s in sides) + ("   ours / peer" if len(sides) == 2 else "")
    print(header)
    rows = [
        ("tokens/s at saturation", [median(s.rates) for s in sides], "{:.0f}"),
        ("p50 at saturation, ms", [median(s.p50) for s in sides], "{:.1f}"),
        ("p99 at saturation, ms", [median(s.p99) for s in sides], "{:.1f}"),
        (f"p50 at {args.rate:.0f}/s, ms", [median(s.paced_p50) for s in sides], "{:.1f}"),
        (f"p99 at {args.rate:.0f}/s, ms", [median(s.paced_p99) for s in sides], "{:.1f}"),
        ("server CPU per token, ms", [s.cpu_per_token() for s in sides], "{:.2f}"),
    ]
    for label, values, fmt in rows:
        line = f"{label:34}" + "".join(f"{fmt.format(v):>14}" for v in values)
        if len(values) == 2 and values[1]:
            line += f"{values[0] / values[1]:>15.2f}"
        print(line)
    print(
        f"ours' CPU per token: {ours.cpu / max(ours.tokens, 1) * 1000:.2f} ms web server + "
        f"{ours.db_cpu / max(ours.tokens, 1) * 1000:.2f} ms PostgreSQL; failed requests: "
        + ", ".join(f"{s.name} {s.failed}" for s in sides)
    )

    if args.no_exchange:
        return
    # The exchange for platform tokens (issue 20): the access tokens are fetched first (they live 120 s).
    signed, _ = ours.grants.sign(int(seconds * 120))  # fetched well inside their iat window
    exchanges = [exchange_request(t) for t in asyncio.run(fetch_tokens(PORT, signed, args.concurrency))]
    app, db = process_tree(server_pid), database_pids()
    app_cpu, db_cpu, load_ = common.cpu_seconds(app), common.cpu_seconds(db), loadavg()
    results, elapsed = asyncio.run(common.closed_loop(PORT, exchanges, args.concurrency, seconds=seconds))
    app_cpu, db_cpu = common.cpu_seconds(app) - app_cpu, common.cpu_seconds(db) - db_cpu
    ok, failed = latencies(results)
    ran_out = " (tokens ran out)" if len(results) == len(exchanges) else ""
    print(
        f"\nexchange (ours), {args.concurrency} connections: {len(ok) / elapsed:.0f} platform tokens/s "
        f"over {elapsed:.1f} s{ran_out}; p50 {percentile(ok, 50):.1f} ms, p99 {percentile(ok, 99):.1f} ms, "
        f"{failed} failed; CPU per exchange "
        f"{app_cpu / max(len(ok), 1) * 1000:.2f} ms gunicorn + {db_cpu / max(len(ok), 1) * 1000:.2f} ms PostgreSQL; "
        f"load average {load_}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "prepare":
        prepare(Path(sys.argv[2]))
    elif len(sys.argv) > 2 and sys.argv[1] == "load":
        p = argparse.ArgumentParser()
        p.add_argument("tmp")
        p.add_argument("--server-pid", type=int, required=True)
        p.add_argument("--peer-pid", type=int)
        p.add_argument("--seconds", type=float, required=True)
        p.add_argument("--concurrency", type=int, required=True)
        p.add_argument("--rate", type=float, required=True)
        p.add_argument("--rounds", type=int, required=True)
        p.add_argument("--no-exchange", action="store_true")
        a = p.parse_args(sys.argv[2:])
        load(Path(a.tmp), a.server_pid, a.peer_pid, a)
    else:
        main()

"""PDP benchmark: a data generator and a load run over loopback against gunicorn (a measurement, not a test).

    .venv/bin/python bench/pdp.py generate --size large   # 100k orgs, 200k system users, ~1.02M delegations
    .venv/bin/python bench/pdp.py run                      # gunicorn on 127.0.0.1:8116, prints the figures
    .venv/bin/python bench/pdp.py compare                  # 1k vs 1M delegations, alternating rounds
    .venv/bin/python bench/pdp.py ab                       # 1k vs 1M, two servers, alternating requests

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sb_h6_bench; `compare`
also uses the same name + `_1k` for the small set); it is created if missing, and its system users,
delegations and parties are replaced on every `generate`.
Gunicorn runs the production profile (SYSTEMBRUKER_MODE=production, DEBUG off) with plain HTTP on
loopback. Every phase is time-bounded and the server is stopped at the end.
"""

import sys
from pathlib import Path

# This folder holds bench/token.py, named like a standard-library module: keep it off the import path and
# put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from bench import _common as common  # noqa: E402

REPO = common.REPO
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sb_h6_bench"
DB_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
VAR_DIR = REPO / "var" / "bench"
SERVER_ENV = {
    **common.PRODUCTION_ENV,
    "DATABASE_URL": DB_URL + "?prepare_threshold=5",  # prepared statements on, as in production (docs/pdp.md)
    "SYSTEMBRUKER_VAR_DIR": str(VAR_DIR),
    "TOKEN_LIFETIME_SECONDS": "7200",
    "PORTAL_BASE_URL": "http://127.0.0.1:8116",
    "LOG_LEVEL": "WARNING",
}
SIZES = {
    # orgs, standard system users, agent system users, clients per agent system user
    "large": (100_000, 180_000, 20_000, 10),
    "small": (1_000, 180, 20, 10),
}
PDP_SCOPE = "altinn:authorization/authorize"


def setup_django() -> None:
    common.setup_django({k: v for k, v in SERVER_ENV.items() if k not in {"SYSTEMBRUKER_MODE", "SECRET_KEY"}})


# --- data generator ---------------------------------------------------------------------------------


def generate(size: str, seed: int = 1) -> dict:
    """Replace the parties and system users of the bench database with a generated set (COPY)."""
    common.ensure_database(DB_URL)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from lib.identifiers import make_orgno
    from registry.models import AccessPackage, PolicyRule, Resource

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    n_orgs, n_standard, n_agent, clients_per_agent = SIZES[size]
    policy_packages = sorted(set(PolicyRule.objects.filter(package__assignable=True).values_list("package", flat=True)))
    assignable = list(AccessPackage.objects.filter(assignable=True).values_list("code", flat=True))
    resources = list(Resource.objects.filter(delegable=True).values_list("id", flat=True))
    now = "2026-01-01 00:00:00+00"
    counts = {}
    raw = connection.connection
    with raw.cursor() as cur:
        cur.execute(
            "TRUNCATE registry_clientdelegation, registry_systemuserright, registry_systemuserpackage, "
            "registry_systemuser, registry_systemclient, registry_systempackage, registry_systemright, "
            "registry_systemchangelog, registry_registeredsystem, registry_roleassignment, "
            "registry_packagedelegation, maskinporten_clientkey, maskinporten_client, registry_organisation CASCADE"
        )
        orgs = []
        base = 20_000_000
        while len(orgs) < n_orgs:
            orgno = make_orgno(str(base))
            base += 1
            if orgno:
                orgs.append((uuid.UUID(int=rng.getrandbits(128), version=4), orgno))
        counts["organisations"] = common.copy_rows(
            cur,
            "registry_organisation",
            ["id", "orgno", "name", "form", "email", "is_deleted"],
            ((oid, orgno, f"Bench {orgno} AS", "AS", "", False) for oid, orgno in orgs),
        )
        vendors = orgs[: max(10, n_orgs // 200)]
        systems = [(uuid.uuid4(), f"{v[1]}_bench{i}", v[0]) for v in vendors for i in range(2)]
        common.copy_rows(
            cur,
            "registry_registeredsystem",
            [
                "uuid",
                "system_id",
                "vendor_id",
                "name",
                "description",
                "allowed_redirect_urls",
                "is_visible",
                "is_deleted",
                "is_self_developed",
                "created",
                "updated",
            ],
            ((s, sid, v, '{"nb": "Bench"}', "{}", "[]", True, False, False, now, now) for s, sid, v in systems),
        )
        standard = [
            (uuid.UUID(int=rng.getrandbits(128), version=4), orgs[i % n_orgs][0], rng.choice(systems)[0], i)
            for i in range(n_standard)
        ]
        firms = orgs[-max(2, n_agent // 10) :]
        agents = [
            (uuid.UUID(int=rng.getrandbits(128), version=4), firms[i % len(firms)][0], rng.choice(systems)[0], i)
            for i in range(n_agent)
        ]
        counts["system_users"] = common.copy_rows(
            cur,
            "registry_systemuser",
            ["id", "integration_title", "owner_id", "system_id", "user_type", "external_ref", "created", "is_deleted"],
            [(s, "Bench", o, sy, "standard", f"ref-{i}", now, False) for s, o, sy, i in standard]
            + [(s, "Bench", o, sy, "agent", f"agent-{i}", now, False) for s, o, sy, i in agents],
        )

        def standard_packages():
            for su, *_ in standard:
                picked = {rng.choice(policy_packages)} | set(rng.sample(assignable, 3))
                for code in list(picked)[:3]:
                    yield su, code, now
            for su, *_ in agents:
                yield su, "regnskapsforer-med-signeringsrettighet", now
                yield su, "regnskapsforer-lonn", now

        counts["system_user_packages"] = common.copy_rows(
            cur, "registry_systemuserpackage", ["system_user_id", "package_id", "created"], standard_packages()
        )

        def rights():
            for n, (su, *_) in enumerate(standard):
                picked = rng.sample(resources, 2 if n % 3 == 0 else 1)
                for resource in picked:
                    yield su, resource, rng.choice(["read", "write", ""]), now

        counts["system_user_rights"] = common.copy_rows(
            cur, "registry_systemuserright", ["system_user_id", "resource_id", "action", "created"], rights()
        )
        clients = orgs[len(vendors) : -len(firms)]
        delegations, pairs = [], set()
        for su, firm, _, _ in agents:
            for client in rng.sample(clients, clients_per_agent):
                delegations.append((su, client[0], "REGN", "[]", now))
                pairs.add((firm, client[0]))
        counts["client_delegations"] = common.copy_rows(
            cur,
            "registry_clientdelegation",
            ["system_user_id", "client_id", "role_code", "packages", "created"],
            delegations,
        )
        counts["role_assignments"] = common.copy_rows(
            cur,
            "registry_roleassignment",
            ["role_id", "of_id", "holder_org_id"],
            (("regnskapsforer", client, firm) for firm, client in pairs),
        )
        cur.execute("ANALYZE")
    raw.commit()
    counts["delegations"] = sum(counts[k] for k in ("system_user_packages", "system_user_rights", "client_delegations"))
    counts["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps({"generated": size, **counts}), flush=True)
    return counts


# --- questions and token ----------------------------------------------------------------------------


def sample_questions(n: int = 2000, seed: int = 2) -> list[bytes]:
    """A mix like a resource owner's traffic: package and right grants, agents for clients, misses."""
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT su.id, o.orgno, pr.resource_id, pr.action FROM registry_systemuser su "
            "JOIN registry_organisation o ON o.id = su.owner_id "
            "JOIN registry_systemuserpackage p ON p.system_user_id = su.id "
            "JOIN registry_policyrule pr ON pr.package_id = p.package_id "
            "WHERE su.user_type = 'standard' ORDER BY random() LIMIT %s",
            [n],
        )
        package_hits = cur.fetchall()
        cur.execute(
            "SELECT su.id, o.orgno, r.resource_id, COALESCE(NULLIF(r.action, ''), 'read') FROM registry_systemuser su "
            "JOIN registry_organisation o ON o.id = su.owner_id "
            "JOIN registry_systemuserright r ON r.system_user_id = su.id ORDER BY random() LIMIT %s",
            [n],
        )
        right_hits = cur.fetchall()
        cur.execute(
            "SELECT cd.system_user_id, o.orgno FROM registry_clientdelegation cd "
            "JOIN registry_organisation o ON o.id = cd.client_id ORDER BY random() LIMIT %s",
            [n],
        )
        agent_hits = cur.fetchall()
        cur.execute("SELECT orgno FROM registry_organisation ORDER BY random() LIMIT %s", [n])
        other_orgs = [row[0] for row in cur.fetchall()]
    questions = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.45:
            su, orgno, resource, action = rng.choice(package_hits)
        elif kind < 0.60:
            su, orgno, resource, action = rng.choice(right_hits)
        elif kind < 0.80:
            su, orgno = rng.choice(agent_hits)
            resource, action = "ske-krav-og-betalinger", "read"
        elif kind < 0.90:
            su, _, resource, action = rng.choice(package_hits)
            orgno = rng.choice(other_orgs)
        else:
            su, orgno, resource, action = uuid.uuid4(), rng.choice(other_orgs), "ske-mva-melding", "write"
        questions.append(common.xacml(str(su), action, resource, orgno))
    return questions


def pdp_token() -> str:
    from lib.tokens.access import issue_access_token
    from maskinporten.models import Client
    from registry.models import Organisation

    owner = Organisation.objects.order_by("orgno").first()
    client, _ = Client.objects.get_or_create(client_id="bench-resource-owner", defaults={"owner": owner})
    return issue_access_token(client=client, scopes=[PDP_SCOPE])["access_token"]


# --- load -------------------------------------------------------------------------------------------


def build_requests(questions: list[bytes], token: str, port: int) -> list[bytes]:
    return [common.authorize_request(f"127.0.0.1:{port}", token, q) for q in questions]


def percentiles(latencies: list[float]) -> dict:
    return common.percentiles(latencies, digits=2)


def in_threads(caller, count: int) -> None:
    """caller(0) … caller(count - 1), each in a thread of its own, until all have returned."""
    threads = [threading.Thread(target=caller, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def closed_loop(requests: list[bytes], port: int, *, concurrency: int, seconds: float) -> dict:
    """As fast as `concurrency` callers can go, for `seconds`: throughput and latency."""
    latencies, errors, decisions = [], [], {}
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def caller(n):
        conn, mine, rng = common.Connection(port), [], random.Random(n)
        local = {}
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                _, body = conn.send(rng.choice(requests))
            except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
                errors.append(str(error))
                continue
            mine.append(time.perf_counter() - t0)
            decision = body[body.find(b'"Decision": "') + 13 :].split(b'"', 1)[0].decode()
            local[decision] = local.get(decision, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in local.items():
                decisions[k] = decisions.get(k, 0) + v

    started = time.monotonic()
    in_threads(caller, concurrency)
    elapsed = time.monotonic() - started
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "decisions": len(latencies),
        "decisions_per_s": round(len(latencies) / elapsed),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "mix": decisions,
        **percentiles(latencies),
    }


def paced(requests: list[bytes], port: int, *, rate: float, seconds: float, callers: int = 16) -> dict:
    """Open loop at `rate` decisions/s; latency counts from the scheduled send time (no coordinated omission)."""
    total = int(rate * seconds)
    latencies, errors = [], []
    counter = iter(range(total))
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def caller(n):
        conn, rng, mine = common.Connection(port), random.Random(n), []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.send(rng.choice(requests))
            except Exception as error:  # noqa: BLE001
                errors.append(str(error))
                continue
            mine.append(time.perf_counter() - due)
        conn.close()
        with lock:
            latencies.extend(mine)

    in_threads(caller, callers)
    elapsed = time.perf_counter() - start
    return {
        "rate": rate,
        "achieved_per_s": round(len(latencies) / elapsed),
        "decisions": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        **percentiles(latencies),
    }


def server_pids(server: subprocess.Popen) -> dict[str, list[int]]:
    """The gunicorn master and workers, and the PostgreSQL backends serving the bench database."""
    return {"gunicorn": [server.pid, *common.descendants(server.pid)], "postgres": common.backend_pids(DB_URL)}


def measured(phase, pids: dict[str, list[int]]) -> dict:
    """Run a load phase and add the server's CPU time per decision (gunicorn, PostgreSQL)."""
    before, t0 = {k: common.cpu_seconds(v) for k, v in pids.items()}, time.monotonic()
    result = phase()
    wall = time.monotonic() - t0
    cpu = {k: common.cpu_seconds(v) - before[k] for k, v in pids.items()}
    for name, seconds in cpu.items():
        result[f"{name}_cpu_ms_per_decision"] = round(seconds / max(1, result["decisions"]) * 1000, 3)
    result["server_cpu_cores_used"] = round(sum(cpu.values()) / wall, 2)
    return result


def machine_load() -> str:
    return str(common.load_average())


def start_gunicorn(
    port: int, workers: int, threads: int, worker_class: str = "gthread", database_url: str = DB_URL
) -> subprocess.Popen:
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url + "?prepare_threshold=5"}
    options = ["--worker-class", worker_class, "--keep-alive", "30", "--log-level", "warning", "--timeout", "30"]
    return common.start_server(common.gunicorn_command(port, workers, threads, *options), env, port=port)


def run(args) -> dict:
    setup_django()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM registry_systemuserpackage) + (SELECT count(*) FROM registry_systemuserright)"
            " + (SELECT count(*) FROM registry_clientdelegation)"
        )
        delegations = cur.fetchone()[0]
    requests = build_requests(sample_questions(), pdp_token(), args.port)
    connection.close()
    server = start_gunicorn(args.port, args.workers, args.threads, args.worker_class)
    try:
        closed_loop(requests, args.port, concurrency=args.concurrency, seconds=3)  # warm-up: connections, caches
        pids = server_pids(server)
        result = {
            "delegations": delegations,
            "server": f"gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads",
            "load_before": machine_load(),
            "throughput": measured(
                lambda: closed_loop(requests, args.port, concurrency=args.concurrency, seconds=args.seconds), pids
            ),
            "paced": measured(lambda: paced(requests, args.port, rate=args.rate, seconds=args.seconds), pids),
            "load_after": machine_load(),
        }
    finally:
        common.stop_server(server)
    print(json.dumps(result), flush=True)
    return result


def dump_questions() -> None:
    """Print this database's question bodies and a PDP token as JSON (for `ab`, one process per database)."""
    setup_django()
    print(json.dumps({"questions": [q.decode() for q in sample_questions()], "token": pdp_token()}))


def ab(args) -> None:
    """1k and 1M delegations side by side: two servers, requests alternating between them one at a time,
    so that both see exactly the same machine (this machine is shared; absolute figures drift)."""
    urls = {"small": DB_URL + "_1k", "large": DB_URL}
    ports = {"small": args.port, "large": args.port + 1}
    requests, servers = {}, {}
    for size, url in urls.items():
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        out = subprocess.run(
            [sys.executable, __file__, "questions"], check=True, timeout=300, capture_output=True, text=True, env=env
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        requests[size] = build_requests([q.encode() for q in data["questions"]], data["token"], ports[size])
    try:
        for size, url in urls.items():
            servers[size] = start_gunicorn(ports[size], args.workers, args.threads, args.worker_class, url)
        connections = {size: common.Connection(port) for size, port in ports.items()}
        latencies: dict[str, list[float]] = {"small": [], "large": []}
        rng = random.Random(3)
        deadline = time.monotonic() + args.seconds
        warm = time.monotonic() + 3
        while time.monotonic() < deadline:
            for size in ("small", "large") if rng.random() < 0.5 else ("large", "small"):
                t0 = time.perf_counter()
                connections[size].send(rng.choice(requests[size]))
                if time.monotonic() > warm:
                    latencies[size].append(time.perf_counter() - t0)
    finally:
        for server in servers.values():
            common.stop_server(server)
    result = {size: {"decisions": len(values), **percentiles(values)} for size, values in latencies.items()}
    result["large_vs_small"] = {
        k: f"{(result['large'][k] / result['small'][k] - 1) * 100:+.0f} %" for k in ("p50_ms", "p95_ms", "p99_ms")
    }
    result["load"] = machine_load()
    print(json.dumps(result), flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--size", choices=sorted(SIZES), default="large")
    sub.add_parser("questions")
    for name in ("run", "compare", "ab"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, default=8116)
        p.add_argument("--workers", type=int, default=2)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
        p.add_argument("--concurrency", type=int, default=8)
        p.add_argument("--seconds", type=float, default=20)
        p.add_argument("--rate", type=float, default=300)
        if name == "compare":
            p.add_argument("--rounds", type=int, default=3)
            p.add_argument("--skip-generate", action="store_true", help="reuse both databases as they are")
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.size)
    elif args.command == "run":
        run(args)
    elif args.command == "questions":
        dump_questions()
    elif args.command == "ab":
        ab(args)
    else:
        compare(args)


def compare(args) -> None:
    """Small (≈1k delegations) and large (≈1M) databases, run alternately so both see the same machine."""
    urls = {"small": DB_URL + "_1k", "large": DB_URL}
    if not args.skip_generate:
        for size, url in urls.items():
            env = {**os.environ, "BENCH_DATABASE_URL": url}
            subprocess.run([sys.executable, __file__, "generate", "--size", size], check=True, timeout=1800, env=env)
    runs: dict[str, list[dict]] = {"small": [], "large": []}
    options = ["--port", str(args.port), "--workers", str(args.workers), "--threads", str(args.threads)]
    options += ["--worker-class", args.worker_class]
    options += ["--concurrency", str(args.concurrency), "--seconds", str(args.seconds), "--rate", str(args.rate)]
    for _ in range(args.rounds):
        for size, url in urls.items():
            env = {**os.environ, "BENCH_DATABASE_URL": url}
            out = subprocess.run(
                [sys.executable, __file__, "run", *options],
                check=True,
                timeout=600,
                capture_output=True,
                text=True,
                env=env,
            )
            runs[size].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps({size: runs[size][-1]}), flush=True)
    summary = {}
    for size, results in runs.items():
        summary[size] = {
            "delegations": results[0]["delegations"],
            "decisions_per_s": common.percentile(sorted(r["throughput"]["decisions_per_s"] for r in results), 50),
            **{
                f"{phase}_{k}": common.percentile(sorted(r[phase][k] for r in results), 50)
                for phase in ("throughput", "paced")
                for k in ("p50_ms", "p95_ms", "p99_ms")
            },
        }
    summary["large_vs_small_paced"] = {
        k: f"{(summary['large'][f'paced_{k}'] / summary['small'][f'paced_{k}'] - 1) * 100:+.0f} %"
        for k in ("p50_ms", "p95_ms", "p99_ms")
    }
    print(json.dumps({"medians_of_rounds": args.rounds, **summary}, indent=2), flush=True)


if __name__ == "__main__":
    main()

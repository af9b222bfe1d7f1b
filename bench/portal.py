"""Portal and vendor-list benchmark: a large world on PostgreSQL, pages measured over loopback against
gunicorn in the production profile (a measurement, not a test).

    .venv/bin/python bench/portal.py generate --size large   # the world of issue 13 (a few minutes)
    .venv/bin/python bench/portal.py generate --size small   # the same shapes, about 1/100
    .venv/bin/python bench/portal.py run                      # gunicorn on 127.0.0.1:8117, prints the figures
    .venv/bin/python bench/portal.py ab                       # small and large side by side, alternating
    .venv/bin/python bench/portal.py all                      # generate both, then `ab`: the one command

The large world: an accounting firm with 5,000 clients and an agent system access holding 2,000 of them
(and 1,000 organisations it audits, which lack the agent's package); a company with 1,000 system
accesses; one system access with 200,000 audit events of which 190,000 are token grants written by
versions before usage counting (and 30 days of hourly usage counters; every other system access a
day's); a person who may act for 500 organisations; 10,000 pending requests spread over organisations
(50 on the company).

Each page is asked for one at a time (one caller: the latency of a page, not of a queue), in a shuffled
order, `--rounds` times; p50/p95/p99, the response size and the server's CPU per request (its gunicorn
workers' and PostgreSQL backends', from /proc: steady where the wall clock is not) are per page. The
database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sb_usage_bench; the small world is the
same name + `_small`); it is created if missing and its rows are replaced on every `generate`.
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
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench import _common as common  # noqa: E402

REPO = BENCH.parent  # this checkout's (bench/portal_versions.py loads two)
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sb_usage_bench")
PORT = 8117
SERVER_ENV = {
    **common.PRODUCTION_ENV,
    "SYSTEMBRUKER_VAR_DIR": str(REPO / "var" / "bench"),
    "LOG_LEVEL": "WARNING",
    "TOKEN_LIFETIME_SECONDS": "7200",  # the vendor's token outlives the run
    "EMAIL_HOST": "127.0.0.1",
}
SIZES = {
    # clients of the firm (REGN), clients of it as auditor only (REVI: they lack the agent's package), of
    # the clients on the agent, company's system accesses, audit events (of which token grants),
    # organisations the person may act for, pending requests (of them to the company)
    "large": {"clients": 5000, "missing": 1000, "agent_clients": 2000, "accesses": 1000, "events": 200_000,
              "tokens": 190_000, "act_for": 500, "requests": 10_000, "company_requests": 50},
    # Small: every list still fills its first page (the agent's clients two), so both sizes render the
    # same rows; only what lies behind the page grows. Not the end-user API's pages of 500: there the small
    # world's lists are shorter than a page.
    "small": {"clients": 300, "missing": 60, "agent_clients": 210, "accesses": 60, "events": 2000, "tokens": 1900,
              "act_for": 60, "requests": 100, "company_requests": 30},
}  # fmt: skip
BENCH_PID = "02058000054"  # a valid national identity number: the end-user API checks the person token's pid
VENDOR_SCOPES = [
    "altinn:authentication/systemregister.write",
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
]


def url_for(size: str) -> str:
    return DB_URL if size == "large" else DB_URL + "_small"


def setup_django(database_url: str) -> None:
    common.setup_django({**SERVER_ENV, "DATABASE_URL": database_url})


# --- the world --------------------------------------------------------------------------------------


def generate(size: str) -> dict:
    database_url = url_for(size)
    common.ensure_database(database_url)
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection, transaction

    from approvals.models import Request, RequestStatus
    from lib.identifiers import make_orgno
    from registry import listings
    from registry.models import (
        Organisation,
        Person,
        RegisteredSystem,
        Role,
        RoleAssignment,
        SystemClient,
        SystemPackage,
        SystemRight,
        SystemUser,
        SystemUserPackage,
        SystemUserRight,
        SystemUserType,
    )

    n = SIZES[size]
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    with connection.cursor() as cur:
        # The production profile limits every statement (DB_STATEMENT_TIMEOUT); loading a world is no request.
        cur.execute("SET statement_timeout = 0")
        cur.execute(
            "TRUNCATE registry_auditevent, registry_systemuserusage, registry_tokenrefusal, approvals_request, "
            "approvals_changerequest, registry_clientdelegation, registry_systemuserright, "
            "registry_systemuserpackage, registry_systemuser, registry_systemclient, registry_systempackage, "
            "registry_systemright, registry_systemchangelog, registry_registeredsystem, registry_roleassignment, "
            "registry_packagedelegation, maskinporten_clientkey, maskinporten_client, registry_organisation, "
            "registry_person, django_session, auth_user CASCADE"
        )
    numbers = (make_orgno(str(base)) for base in range(20_000_000, 30_000_000))
    orgnos = (o for o in numbers if o)
    total_orgs = 3 + n["clients"] + n["missing"] + n["act_for"] + n["requests"] // 10

    with transaction.atomic():
        orgs = Organisation.objects.bulk_create(
            Organisation(orgno=next(orgnos), name=f"{rng.choice(NAMES)} {i:05d} AS", form="AS", email="")
            for i in range(total_orgs)
        )
        vendor, firm, company = orgs[0], orgs[1], orgs[2]
        vendor.name, firm.name, company.name = "Bench Leverandør AS", "Bench Regnskap AS", "Bench Konsern AS"
        Organisation.objects.bulk_update([vendor, firm, company], ["name"])
        clients = orgs[3 : 3 + n["clients"]]
        # Clients of the firm as its auditor (REVI): they lack the agent's accounting package.
        missing = orgs[3 + n["clients"] : 3 + n["clients"] + n["missing"]]
        others = orgs[3 + n["clients"] + n["missing"] :]
        person = Person.objects.create(pid=BENCH_PID, name="Bench Leder", email="leder@bench.example")
        roles = {r.legacy_code: r for r in Role.objects.filter(legacy_code__in=["DAGL", "REGN", "REVI"])}
        acts_for = [company, firm, *others[: n["act_for"] - 2]]
        RoleAssignment.objects.bulk_create(
            RoleAssignment(role=roles["DAGL"], of=o, holder_person=person) for o in acts_for
        )
        RoleAssignment.objects.bulk_create(RoleAssignment(role=roles["REGN"], of=c, holder_org=firm) for c in clients)
        RoleAssignment.objects.bulk_create(RoleAssignment(role=roles["REVI"], of=c, holder_org=firm) for c in missing)

        def system(name: str, *, packages=(), rights=()) -> RegisteredSystem:
            made = RegisteredSystem.objects.create(
                system_id=f"{vendor.orgno}_{name}",
                vendor=vendor,
                name={"nb": name.capitalize(), "nn": name.capitalize(), "en": name.capitalize()},
                description={"nb": "Benchmark"},
                allowed_redirect_urls=["https://vendor.example/callback"],
            )
            SystemPackage.objects.bulk_create(SystemPackage(system=made, package_id=p) for p in packages)
            SystemRight.objects.bulk_create(SystemRight(system=made, resource_id=r, action=a) for r, a in rights)
            return made

        standard = system(
            "fakturering",
            packages=["skatt-naering"],
            rights=[("ske-krav-og-betalinger", "read")],
        )
        SystemClient.objects.create(system=standard, client_id="bench-client")
        agent_system = system("byraa", packages=["regnskapsforer-lonn"])
        # The company's system accesses: one system, an externalRef each (a live one per owner, system, ref).
        accesses = SystemUser.objects.bulk_create(
            SystemUser(
                integration_title=f"Avdeling {i:04d}",
                owner=company,
                system=standard,
                external_ref=f"avd-{i:04d}",
                created_by=person,
            )
            for i in range(n["accesses"])
        )
        SystemUserPackage.objects.bulk_create(
            SystemUserPackage(system_user=s, package_id="skatt-naering") for s in accesses
        )
        SystemUserRight.objects.bulk_create(
            SystemUserRight(system_user=s, resource_id="ske-krav-og-betalinger", action="read") for s in accesses
        )
        busy = accesses[0]
        # Every client of the firm has a standard system access too: the vendor's bysystem list is long.
        users_of_clients = SystemUser.objects.bulk_create(
            SystemUser(integration_title="Fakturering", owner=c, system=standard, external_ref=c.orgno) for c in clients
        )
        agent = SystemUser.objects.create(
            integration_title="Byråsystemet",
            owner=firm,
            system=agent_system,
            user_type=SystemUserType.AGENT,
            external_ref=firm.orgno,
            created_by=person,
        )
        SystemUserPackage.objects.create(system_user=agent, package_id="regnskapsforer-lonn")
        from registry.models import ClientDelegation

        ClientDelegation.objects.bulk_create(
            ClientDelegation(system_user=agent, client=c, role_code="REGN", packages=["regnskapsforer-lonn"])
            for c in clients[: n["agent_clients"]]
        )
        now = datetime.now(UTC)
        pending_to = [company] * n["company_requests"] + [rng.choice(others + clients) for _ in range(n["requests"])]
        Request.objects.bulk_create(
            Request(
                system=standard,
                party=party,
                external_ref=f"req-{i}",
                integration_title="Fakturering",
                rights=[{"resource": "ske-krav-og-betalinger", "action": "read"}],
                access_packages=["skatt-naering"],
                redirect_url="https://vendor.example/callback",
                status=RequestStatus.NEW,
                created=now - timedelta(minutes=i),
            )
            for i, party in enumerate(pending_to[: n["requests"]])
        )

    connection.ensure_connection()
    with connection.connection.cursor() as cur:

        def events():
            people = n["events"] - n["tokens"]
            for i in range(n["events"]):
                at = now - timedelta(seconds=(n["events"] - i) * 30)
                if i % (n["events"] // people) == 0:
                    data = {"client": clients[i % len(clients)].orgno, "client_name": "Kunde"}
                    yield (at, "systemuser.client_added", f"person:{person.pid}", person.pk, "systemuser",
                           str(busy.pk), company.orgno, "ok", "", json.dumps(data), None)  # fmt: skip
                else:
                    data = {"client_id": "bench-client", "jti": str(uuid.uuid4())}
                    yield (at, "token.issued", "client:bench-client", None, "systemuser", str(busy.pk),
                           company.orgno, "ok", "", json.dumps(data), "192.0.2.1")  # fmt: skip

        columns = ["at", "action", "actor", "actor_person_id", "object_type", "object_id", "party_orgno", "outcome"]
        columns += ["reason", "data", "ip"]
        common.copy_rows(cur, "registry_auditevent", columns, events())
        hours = [now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=h) for h in range(30 * 24)]

        def usage():
            yield from ((busy.pk, h, 30, h + timedelta(minutes=58), "bench-client", "") for h in hours)
            # Every other system access in use too, a token every two minutes over the last day (the
            # planner then knows a system user has few counter rows, as in production).
            for user in [*accesses[1:], *users_of_clients]:
                yield from ((user.pk, h, 30, h + timedelta(minutes=58), "bench-client", "") for h in hours[:24])

        common.copy_rows(
            cur,
            "registry_systemuserusage",
            ["system_user_id", "hour", "issued", "last_at", "last_client_id", "kid"],
            usage(),
        )
    # The roles and delegations went in by bulk inserts, which send no signals: the firms' lists of
    # clients written as the register importer does after its bulk inserts (registry.listings).
    listings.refresh_all()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # as autovacuum would have: visibility map set, statistics fresh
    counts = {
        "organisations": Organisation.objects.count(),
        "system_users": SystemUser.objects.count(),
        "client_delegations": agent.client_delegations.count(),
        "audit_events": n["events"],
        "pending_requests": Request.objects.count(),
        "clients_system_users": len(users_of_clients),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps({"generated": size, **counts}), flush=True)
    return counts


NAMES = ["Bakeriet", "Fjord", "Nordlys", "Granitt", "Havbris", "Solsikke", "Tindeland", "Elvebredd", "Lyngheia"]


# --- what is asked for ------------------------------------------------------------------------------


def pages(port: int) -> list[tuple[str, bytes]]:
    """(name, raw HTTP request) for every page measured, with a logged-in session acting for the right
    organisation and a vendor token for the API."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client as DjangoClient

    from approvals.models import Request
    from portal.actor import ACTOR_SESSION_KEY
    from registry.models import Organisation, Person, RegisteredSystem, SystemUser, SystemUserType
    from tests.api.test_enduser_clients import person_bearer
    from tests.maskinporten.helpers import bearer_for

    person = Person.objects.get(pid=BENCH_PID)
    if person.user_id is None:
        person.user = get_user_model().objects.create(username=f"pid:{person.pid}")
        person.save(update_fields=["user"])
    company = Organisation.objects.get(name="Bench Konsern AS")
    firm = Organisation.objects.get(name="Bench Regnskap AS")
    vendor = Organisation.objects.get(name="Bench Leverandør AS")

    def cookie(actor: Organisation | None) -> str:
        browser = DjangoClient()
        browser.force_login(person.user)
        if actor is not None:
            session = browser.session
            session[ACTOR_SESSION_KEY] = actor.orgno
            session.save()
        return f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    as_company, as_firm, no_actor = cookie(company), cookie(firm), cookie(None)
    busy = SystemUser.objects.filter(owner=company).order_by("external_ref").first()
    agent = SystemUser.objects.get(owner=firm, user_type=SystemUserType.AGENT)
    waiting = Request.objects.filter(party=company).order_by("-created").first()
    system = RegisteredSystem.objects.get(system_id=f"{vendor.orgno}_fakturering")
    token = bearer_for(vendor, *VENDOR_SCOPES)
    bysystem = f"/authentication/api/v1/systemuser/vendor/bysystem/{system.system_id}"
    requests_path = f"/authentication/api/v1/systemuser/request/vendor/bysystem/{system.system_id}"

    def get(path: str, *headers: str) -> bytes:
        return common.http_request("GET", path, f"127.0.0.1:{port}", ["Accept-Language: nb", *headers])

    last_page = _last_page(port, bysystem, token, get)
    # A window of the history three pages back (the small world's history has 100 people's events).
    third = busy.history().order_by("-at", "-pk")[74]
    older = f"{third.at.isoformat()}_{third.pk}".replace("+", "%2B").replace(":", "%3A")
    one = SystemUser.objects.filter(system=system).order_by("created", "id").last()
    byquery = "/authentication/api/v1/systemuser/vendor/byquery?" + urlencode(
        {"system-id": system.system_id, "orgno": one.owner.orgno, "external-ref": one.external_ref}
    )
    enduser = "/authentication/api/v1/enduser/systemuser/"
    add = f"/systemuser/{agent.pk}/clients/"
    person_token = f"Authorization: {person_bearer(person, lifetime=7200)}"
    return [
        ("overview", get("/systemuser/", f"Cookie: {as_company}")),
        # Past the end shows the last page: the company's 1,000 system accesses (or 60) by name.
        ("overview, last page", get("/systemuser/?page=999", f"Cookie: {as_company}")),
        ("details (standard)", get(f"/systemuser/{busy.pk}/", f"Cookie: {as_company}")),
        ("details (standard), older history", get(f"/systemuser/{busy.pk}/?eldre={older}", f"Cookie: {as_company}")),
        ("details (agent)", get(f"/systemuser/{agent.pk}/", f"Cookie: {as_firm}")),
        # The second page of the agent's clients (full at both sizes), and the last (20th) of the large one.
        ("details (agent), clients page 2", get(f"/systemuser/{agent.pk}/?kunder=2", f"Cookie: {as_firm}")),
        ("details (agent), last page of clients", get(f"/systemuser/{agent.pk}/?kunder=999", f"Cookie: {as_firm}")),
        ("delete confirmation (agent)", get(f"/systemuser/{agent.pk}/delete/", f"Cookie: {as_firm}")),
        # Searches that match more than a page, so both sizes show a full page.
        ("add clients, search", get(f"/systemuser/{agent.pk}/clients/?q=AS", f"Cookie: {as_firm}")),
        ("add clients, role, page 2", get(f"{add}?q=AS&rolle=REGN&page=2", f"Cookie: {as_firm}")),
        ("why clients are missing", get(f"/systemuser/{agent.pk}/clients/missing/", f"Cookie: {as_firm}")),
        ("act for", get("/actor/", f"Cookie: {no_actor}")),
        ("act for, search", get("/actor/?q=AS", f"Cookie: {no_actor}")),
        ("approval page", get(f"/systemuser/request?id={waiting.pk}", f"Cookie: {as_company}")),
        ("vendor bysystem, first page", get(bysystem, f"Authorization: {token}")),
        ("vendor bysystem, last page", get(last_page, f"Authorization: {token}")),
        ("vendor byquery", get(byquery, f"Authorization: {token}")),
        ("vendor requests by system", get(requests_path, f"Authorization: {token}")),
        ("end-user clients", get(f"{enduser}clients?agent={agent.pk}", person_token)),
        ("end-user clients/available", get(f"{enduser}clients/available?agent={agent.pk}", person_token)),
    ]  # fmt: skip


def _last_page(port: int, path: str, token: str, get) -> str:
    """Follow `links.next` to the last page of the vendor's list (done once, before measuring)."""
    conn = common.Connection(port, timeout=30)
    try:
        while True:
            _, body = conn.send(get(path, f"Authorization: {token}"))
            following = json.loads(body)["links"]["next"]
            if not following:
                return path
            path = following.split(f"127.0.0.1:{port}", 1)[-1]
    finally:
        conn.close()


# --- measuring --------------------------------------------------------------------------------------


def start_gunicorn(port: int, database_url: str, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url}
    options = ["--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning", "--timeout", "60"]
    return common.start_server(common.gunicorn_command(port, workers, threads, *options), env, port=port, cwd=REPO)


def measure(
    requests: dict[str, list[tuple[str, bytes]]], ports: dict[str, int], rounds: int, servers: dict | None = None
) -> dict:
    """Each (size, page) `rounds` times, one request at a time, in a shuffled order per round so that
    both sizes and every page see the same (shared, noisy) machine. With `servers` ({size: (gunicorn
    master pid, database url)}) also the server's CPU per request: the CPU its gunicorn workers and its
    PostgreSQL backends used while the request ran (nothing else asks them meanwhile), which the other
    processes on the machine do not change, unlike the wall-clock time."""
    conns = {size: common.Connection(port, timeout=30) for size, port in ports.items()}
    latencies: dict[tuple[str, str], list[float]] = {}
    app_cpu: dict[tuple[str, str], list[float]] = {}
    db_cpu: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    rng = random.Random(3)
    plan = [(size, name, raw) for size, items in requests.items() for name, raw in items]
    for size, _name, raw in plan:  # warm-up: connections, caches, compiled templates
        conns[size].send(raw)
    for _ in range(rounds):
        rng.shuffle(plan)
        # Once a round: the workers (a worker restarts after a crash) and the backends (connections age).
        pids = {
            size: (common.descendants(master), common.backend_pids(url))
            for size, (master, url) in (servers or {}).items()
        }
        for size, name, raw in plan:
            app, db = pids.get(size, ([], []))
            a0, d0 = common.cpu_ns(app), common.cpu_ns(db)
            t0 = time.perf_counter()
            _, body = conns[size].send(raw)
            latencies.setdefault((size, name), []).append(time.perf_counter() - t0)
            if servers:
                app_cpu.setdefault((size, name), []).append((common.cpu_ns(app) - a0) / 1e6)
                db_cpu.setdefault((size, name), []).append((common.cpu_ns(db) - d0) / 1e6)
            sizes[(size, name)] = len(body)
    for conn in conns.values():
        conn.close()
    result: dict = {}
    for (size, name), values in latencies.items():
        figures = {"bytes": sizes[(size, name)], **common.percentiles(values, digits=1)}
        if servers:
            app, db = sorted(app_cpu[(size, name)]), sorted(db_cpu[(size, name)])
            figures |= {
                "cpu_app_ms": round(common.percentile(app, 50), 1),
                "cpu_db_ms": round(common.percentile(db, 50), 1),
            }
            figures["cpu_ms"] = round(figures["cpu_app_ms"] + figures["cpu_db_ms"], 1)
        result.setdefault(name, {})[size] = figures
    for by_size in result.values():
        if "small" in by_size and "large" in by_size:
            small, large = by_size["small"], by_size["large"]
            by_size["large_vs_small_p95"] = f"{(large['p95_ms'] / small['p95_ms'] - 1) * 100:+.0f} %"
            if "cpu_ms" in small:
                by_size["large_vs_small_cpu"] = f"{(large['cpu_ms'] / max(small['cpu_ms'], 0.1) - 1) * 100:+.0f} %"
    return result


def table(result: dict) -> str:
    """The figures as the Markdown table of docs/performance.md."""
    lines = [
        "| page | small p50 / p95 / p99 ms | large p50 / p95 / p99 ms | bytes (small / large) "
        "| server CPU ms, small (app + db) | large (app + db) | large vs small: CPU, p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, by_size in result["pages"].items():
        small, large = by_size.get("small"), by_size.get("large")
        if not small or not large:
            continue

        def ms(f):
            return f"{f['p50_ms']:.0f} / {f['p95_ms']:.0f} / {f['p99_ms']:.0f}"

        def cpu(f):
            return f"{f['cpu_ms']:.1f} ({f['cpu_app_ms']:.1f} + {f['cpu_db_ms']:.1f})" if "cpu_ms" in f else "–"

        lines.append(
            f"| {name} | {ms(small)} | {ms(large)} | {small['bytes']:,} / {large['bytes']:,} | {cpu(small)} "
            f"| {cpu(large)} | {by_size.get('large_vs_small_cpu', '–')}, {by_size['large_vs_small_p95']} |"
        )
    return "\n".join(lines)


def collect(size: str, port: int) -> list[tuple[str, bytes]]:
    """The requests for one world, built in a child process (Django is set up once per database)."""
    env = {**os.environ, "BENCH_DATABASE_URL": DB_URL}
    out = subprocess.run(
        [sys.executable, __file__, "requests", "--size", size, "--port", str(port)],
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
        env=env,
    )
    return [(name, raw.encode("latin-1")) for name, raw in json.loads(out.stdout.strip().splitlines()[-1])]


def run(args, sizes: list[str]) -> dict:
    ports = {size: args.port + i for i, size in enumerate(sizes)}
    servers = {}
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": url_for(sizes[0])}
    manage = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(manage, cwd=REPO, env=env, check=True, timeout=300)  # production serves hashed files
    try:
        for size in sizes:
            servers[size] = start_gunicorn(ports[size], url_for(size), args.workers, args.threads)
        requests = {size: collect(size, ports[size]) for size in sizes}
        result = {
            "server": f"gunicorn gthread, {args.workers} workers x {args.threads} threads, production profile",
            "rounds": args.rounds,
            "cores": os.cpu_count(),
            "load_before": common.load_average(),
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }
        masters = {size: (server.pid, url_for(size)) for size, server in servers.items()}
        result["pages"] = measure(requests, ports, args.rounds, masters)
        result["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        result["load_after"] = common.load_average()
    finally:
        for server in servers.values():
            common.stop_server(server)
    print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    if len(sizes) == 2:
        print(table(result), flush=True)
    return result


def dump_requests(size: str, port: int) -> None:
    setup_django(url_for(size))
    print(json.dumps([(name, raw.decode("latin-1")) for name, raw in pages(port)]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--size", choices=sorted(SIZES), default="large")
    req = sub.add_parser("requests")
    req.add_argument("--size", choices=sorted(SIZES), default="large")
    req.add_argument("--port", type=int, default=PORT)
    for name in ("run", "ab", "all"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, default=PORT)
        p.add_argument("--workers", type=int, default=2)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--rounds", type=int, default=100)
        if name == "run":
            p.add_argument("--size", choices=sorted(SIZES), default="large")
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.size)
    elif args.command == "requests":
        dump_requests(args.size, args.port)
    elif args.command == "run":
        run(args, [args.size])
    else:
        if args.command == "all":  # one command from nothing: both worlds, then both sizes side by side
            for size in ("small", "large"):
                subprocess.run([sys.executable, __file__, "generate", "--size", size], check=True, timeout=1800)
        run(args, ["small", "large"])


if __name__ == "__main__":
    main()

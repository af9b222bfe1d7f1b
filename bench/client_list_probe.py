"""Would a denormalised list of a firm's clients make the add-clients pages flat? A probe on the portal
benchmark's worlds (a measurement, not a test; nothing is left behind).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_portal_bench \\
      .venv/bin/python bench/client_list_probe.py --rounds 40

On each world (`bench/portal.py generate`, large and small) it builds, inside a transaction that is
rolled back at the end, the proposed list: one row per (holder firm, organisation it holds a role for
or has a delegation from) with the name and org number copied, indexed `(holder, name, orgno)`. Then it
replays, alternating the sizes round by round, and reads the backend's CPU per query
(`/proc/<backend>/task/*/schedstat`):

- `today`: the page query the add-clients pages run now (`portal.paging.counted_page` over
  `registry.services.clients.eligible` / `not_qualifying`, the SQL Django writes for them);
- `listing, Q builders`: the same `registry.access` filters (`holds_every` …, `pk IN (… UNION ALL …)`)
  on organisations joined to the list, ordered by the list's `(name, orgno)`: the page, and the two
  counts bounded (`LIMIT bound`);
- `listing, probes`: the list walked in name order with each rule a correlated `EXISTS` per row that
  the planner can neither pull up into a join nor hash (`OFFSET 0` inside, `COALESCE` around): the
  page and the two bounded counts. The rules are hand-written for the bench's world (REGN gives the
  agent's one package, REVI none; no entity variants apply): what the pages would need written once.

- `listing, held`: the list with one more column, `held`: what the firm holds for the client as
  `registry.access.holdings_for_clients` says, written as tokens (`,pkg,` for a package held,
  `,pkg:ROLE,` for each role that gives it, `SELF` for the firm itself) — a copy the writers would keep
  true by calling the one rule for the pair that changed. Eligibility is then `held LIKE '%,pkg,%'` for
  each required package, the role filter `held LIKE '%,pkg:REGN,%'`, on the row itself: no rule
  written a second time and no probe per rule; "live" and "not added" are left to the planner (a join
  to the organisation, a `NOT EXISTS`). Counts unbounded (bound 0) and bounded.

Prints the JSON (start, end, load average, whether each walk returned today's rows in today's order and
each bounded count agreed with today's count, the median CPU ms per query and size), then a Markdown
table. `--jit off` measures without PostgreSQL's JIT, which the probes' estimated cost would start.
"""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from bench import _common as common  # noqa: E402
from bench import portal  # noqa: E402

LISTING = """
CREATE TEMP TABLE probe_listing AS
  SELECT holder_org_id AS holder_id, of_id AS client_id FROM registry_roleassignment WHERE holder_org_id IS NOT NULL
  UNION SELECT to_org_id, from_org_id FROM registry_packagedelegation WHERE to_org_id IS NOT NULL;
ALTER TABLE probe_listing ADD name varchar(200), ADD orgno varchar(9);
UPDATE probe_listing l SET name = o.name, orgno = o.orgno FROM registry_organisation o WHERE o.id = l.client_id;
CREATE UNIQUE INDEX ON probe_listing (holder_id, client_id);
CREATE INDEX ON probe_listing (holder_id, name, orgno);
ANALYZE probe_listing;
"""
PAGES = {  # page name: (search, role filter, page number, the "why missing" list)
    "add clients, search": ("AS", None, 1, False),
    "add clients, role, page 2": ("AS", "REGN", 2, False),
    "why clients are missing": ("", None, 1, True),
}
SIZE = 50


def today_sql(su, search: str, role: str | None, page: int, missing: bool) -> str:
    """The query the page runs now, as Django writes it (the large world's ids; swapped for the small)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.paging import counted_page
    from registry.services import clients

    required = clients.required_packages(su)
    with CaptureQueriesContext(connection) as captured:
        if missing:
            counted_page(page, clients.not_qualifying(su, required=required), size=SIZE)
        else:
            shown = clients.choosing(su, query=search, role=role, required=required)
            counted_page(page, clients.eligible(su, required=required), size=SIZE, shown=shown)
    return captured.captured_queries[-1]["sql"]


def builder_sql(su, search: str, role: str | None, page: int, missing: bool, bound: int, head: int) -> dict[str, str]:
    """The page and its bounded counts: `registry.access`'s filters on organisations joined to the list."""
    from django.db import connection

    from registry import access
    from registry.models import ClientDelegation, Organisation
    from registry.services import clients

    required = clients.required_packages(su)
    added = ClientDelegation.objects.filter(system_user=su).values("client_id")
    if missing:
        every = access.clients_of(su.owner).exclude(pk__in=added).exclude(access.holds_every(su.owner, required))
        shown = every
    else:
        every = access.clients_holding(su.owner, required).exclude(pk__in=added)
        shown = every.filter(clients.choosing(su, query=search, role=role, required=required))
    cursor = connection.cursor()

    def where(qs) -> str:
        sql, params = qs.exclude(pk=su.owner.pk).order_by().values("pk").query.sql_with_params()
        text = cursor.mogrify(sql, params)
        return (text.decode() if isinstance(text, bytes) else text).split(" WHERE ", 1)[1]

    assert every.model is Organisation

    def walk(qs, limit: int, offset: int) -> str:
        return (
            'SELECT "registry_organisation"."id" FROM probe_listing l JOIN "registry_organisation" '
            f'ON "registry_organisation"."id" = l.client_id WHERE l.holder_id = \'{su.owner.pk}\' AND {where(qs)} '
            f"ORDER BY l.name, l.orgno LIMIT {limit} OFFSET {offset}"
        )

    offset = max(0, (page - 1) * SIZE - head)  # the firm itself first, apart (when it is in the list)
    return {
        "page": walk(shown, SIZE - head if page == 1 else SIZE, offset),
        "count shown": f"SELECT count(*) FROM ({walk(shown, bound, 0)}) b",
        "count all": f"SELECT count(*) FROM ({walk(every, bound, 0)}) b",
    }


def probe_sql(
    ids: dict, search: str, role: str | None, page: int, missing: bool, bound: int, head: int
) -> dict[str, str]:
    """The list walked in name order, each rule a correlated probe the planner keeps per row."""
    firm, su = ids["firm"], ids["su"]

    def has_role(roles: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM registry_roleassignment r WHERE r.holder_org_id = '{firm}' "
            f"AND r.role_id IN ({roles}) AND r.of_id = l.client_id OFFSET 0)"
        )

    delegated = (
        f"EXISTS (SELECT 1 FROM registry_packagedelegation d WHERE d.to_org_id = '{firm}' "
        f"AND d.package_id = 'regnskapsforer-lonn' AND d.from_org_id = l.client_id OFFSET 0)"
    )
    live = "COALESCE((SELECT NOT o.is_deleted FROM registry_organisation o WHERE o.id = l.client_id OFFSET 0), false)"
    not_added = (
        f"COALESCE(NOT EXISTS (SELECT 1 FROM registry_clientdelegation c WHERE c.system_user_id = '{su}' "
        "AND c.client_id = l.client_id OFFSET 0), false)"
    )
    eligible = f"COALESCE({has_role("'regnskapsforer'")} OR {delegated}, false)"
    client_of = f"COALESCE({has_role(ids['giving_roles'])} OR {delegated}, false)"
    every = f"{live} AND {not_added} AND " + (f"{client_of} AND NOT {eligible}" if missing else eligible)
    shown = every
    if search:
        shown += f" AND UPPER(l.name) LIKE UPPER('%{search}%')"
    if role:
        shown += f" AND COALESCE({has_role("'regnskapsforer'")}, false)"

    def walk(where: str, limit: int, offset: int) -> str:
        return (
            f"SELECT l.client_id FROM probe_listing l WHERE l.holder_id = '{firm}' AND l.client_id <> '{firm}' "
            f"AND {where} ORDER BY l.name, l.orgno LIMIT {limit} OFFSET {offset}"
        )

    offset = max(0, (page - 1) * SIZE - head)
    return {
        "page": walk(shown, SIZE - head if page == 1 else SIZE, offset),
        "count shown": f"SELECT count(*) FROM ({walk(shown, bound, 0)}) b",
        "count all": f"SELECT count(*) FROM ({walk(every, bound, 0)}) b",
    }


def held_sql(ids: dict, search: str, role: str | None, page: int, missing: bool, bound: int, head: int) -> dict:
    """The list walked in name order, eligibility read off the row's `held` tokens (bound 0: count all)."""
    firm, su, required = ids["firm"], ids["su"], ids["required"]
    holds = " AND ".join(f"l.held LIKE '%,{p},%'" for p in required)
    every = (
        f"l.holder_id = '{firm}' AND l.client_id <> '{firm}' AND NOT o.is_deleted AND NOT EXISTS (SELECT 1 FROM "
        f"registry_clientdelegation c WHERE c.system_user_id = '{su}' AND c.client_id = l.client_id) AND "
        + (f"l.held <> ',' AND NOT ({holds})" if missing else holds)
    )
    shown = every
    if search:
        shown += f" AND UPPER(l.name) LIKE UPPER('%{search}%')"
    if role:
        shown += " AND (" + " OR ".join(f"l.held LIKE '%,{p}:{role},%'" for p in required) + ")"
    joined = "FROM probe_listing l JOIN registry_organisation o ON o.id = l.client_id"

    def walk(where: str, limit: int, offset: int) -> str:
        return f"SELECT l.client_id {joined} WHERE {where} ORDER BY l.name, l.orgno LIMIT {limit} OFFSET {offset}"

    def count(where: str) -> str:
        if not bound:
            return f"SELECT count(*) {joined} WHERE {where}"
        return f"SELECT count(*) FROM ({walk(where, bound, 0)}) b"

    offset = max(0, (page - 1) * SIZE - head)
    extra = shown[len(every) :] or " AND true"
    windowed = (  # today's shape: the page and both counts in one query, the counts as windows
        f"SELECT client_id FROM (SELECT l.client_id, l.name, l.orgno, count(*) OVER () AS total, "
        f"count(*) FILTER (WHERE true{extra}) OVER () AS counted, (true{extra}) AS kept {joined} WHERE {every}) t "
        f"WHERE kept ORDER BY name, orgno LIMIT {SIZE - head if page == 1 else SIZE} OFFSET {offset}"
    )
    if not bound:
        return {
            "page": walk(shown, SIZE - head if page == 1 else SIZE, offset),
            "count shown": count(shown),
            "count all": count(every),
            "one query, window counts | page": windowed,
        }
    return {
        "page": walk(shown, SIZE - head if page == 1 else SIZE, offset),
        "count shown": count(shown),
        "count all": count(every),
    }


def held_tokens(size: str, firm_id: str) -> list[tuple[str, str]]:
    """(client id, held tokens) for the firm's clients on that world: `registry.access.holdings_for_clients`."""
    from django.db import connection

    from registry import access
    from registry.models import Organisation

    connection.close()
    connection.settings_dict["NAME"] = portal.url_for(size).rsplit("/", 1)[1]
    firm = Organisation.objects.get(pk=firm_id)
    rows = []
    for org_id, held in access.holdings_for_clients(firm).items():
        tokens = sorted(held.packages) + sorted(f"{p}:{r}" for p, roles in held.roles.items() for r in roles)
        rows.append((str(org_id), "," + ",".join(tokens) + ","))
    connection.close()
    connection.settings_dict["NAME"] = portal.url_for("large").rsplit("/", 1)[1]
    return rows


def world_ids(conn) -> dict:
    firm, su = conn.execute(
        "SELECT s.owner_id, s.id FROM registry_systemuser s WHERE s.user_type = 'agent' AND NOT s.is_deleted "
        "ORDER BY s.created LIMIT 1"
    ).fetchone()
    return {"firm": str(firm), "su": str(su)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--bound", type=int, action="append", help="count at most this many (default 501, 101)")
    parser.add_argument("--jit", choices=("on", "off"), default="on", help="PostgreSQL's JIT for the session")
    args = parser.parse_args()
    bounds = args.bound or [501, 101]
    import psycopg

    portal.setup_django(portal.url_for("large"))
    from registry.models import RolePackage, SystemUser
    from registry.services import clients

    conns = {size: psycopg.connect(portal.url_for(size)) for size in ("large", "small")}
    ids = {size: world_ids(conn) for size, conn in conns.items()}
    su = SystemUser.objects.select_related("owner").get(pk=ids["large"]["su"])
    held = {size: held_tokens(size, ids[size]["firm"]) for size in conns}
    giving = sorted(set(RolePackage.objects.filter(has_access=True).values_list("role_id", flat=True)))
    plan: dict[str, dict[str, str]] = {size: {} for size in conns}
    heads: dict[tuple[str, str], int] = {}
    for size, conn in conns.items():
        conn.execute(f"SET jit = {args.jit}")
        for statement in LISTING.split(";"):
            if statement.strip():
                conn.execute(statement)
        ids[size]["giving_roles"] = ", ".join(f"'{r}'" for r in giving)
        ids[size]["required"] = clients.required_packages(su)  # the same system of the same vendor at both sizes
        conn.execute("ALTER TABLE probe_listing ADD held text NOT NULL DEFAULT ','")
        with conn.cursor() as cursor:
            cursor.executemany(
                "UPDATE probe_listing SET held = %s WHERE holder_id = %s AND client_id = %s",
                [(tokens, ids[size]["firm"], client) for client, tokens in held[size]],
            )
        conn.execute("ANALYZE probe_listing")
        # Django writes a UUID as 32 hex digits, these probes with hyphens: swap either spelling.
        swap = {ids["large"][key]: ids[size][key] for key in ("firm", "su")}
        swap |= {old.replace("-", ""): new.replace("-", "") for old, new in swap.items()}

        def swapped(text: str, swap=swap) -> str:
            for old, new in swap.items():
                text = text.replace(old, new)
            return text

        for page, (search, role, number, missing) in PAGES.items():
            sql = today_sql(su, search, role, number, missing)
            # The firm itself heads the list when it is in it: a page after the first starts one earlier.
            first = swapped(today_sql(su, search, role, 1, missing))
            head = int(ids[size]["firm"] in {str(row[0]) for row in conn.execute(first).fetchall()})
            for bound in bounds:
                built = builder_sql(su, search, role, number, missing, bound, head)
                for part, text in built.items():
                    plan[size][f"{page} | listing, Q builders, bound {bound} | {part}"] = text
                for part, text in probe_sql(ids[size], search, role, number, missing, bound, head).items():
                    plan[size][f"{page} | listing, probes, bound {bound} | {part}"] = text
            for bound in [0, *bounds]:
                for part, text in held_sql(ids[size], search, role, number, missing, bound, head).items():
                    plan[size][f"{page} | listing, held, bound {bound} | {part}"] = text
            plan[size][f"{page} | today | page and counts"] = sql
            heads[size, page] = head
        plan[size] = {name: swapped(text) for name, text in plan[size].items()}
    # The same rows as today, in the same order (the firm itself apart: compare the others).
    same = {}
    for size, conn in conns.items():
        for page in PAGES:
            cursor = conn.execute(plan[size][f"{page} | today | page and counts"])
            shown_at = [column.name for column in cursor.description].index("counted_shown")
            today = cursor.fetchall()
            rows = [str(r[0]) for r in today if str(r[0]) != ids[size]["firm"]]
            counted = (today[0][shown_at] if today else 0) - heads[size, page]
            for name, text in plan[size].items():
                if name.startswith(page) and name.endswith("| page"):
                    walked = [str(r[0]) for r in conn.execute(text).fetchall()]
                    same[f"{size}: {name}"] = walked == rows
                elif name.startswith(page) and name.endswith("| count shown"):
                    bound = int(name.split("bound ")[1].split(" ")[0])
                    same[f"{size}: {name}"] = conn.execute(text).fetchone()[0] == min(counted, bound or counted)
    pids = {size: conn.info.backend_pid for size, conn in conns.items()}
    cpu: dict[str, dict[str, list[float]]] = {size: {name: [] for name in plan[size]} for size in conns}
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load = common.load_average()
    for _ in range(args.rounds):
        for size in ("large", "small"):
            for name, text in plan[size].items():
                before = common.cpu_ns([pids[size]])
                conns[size].execute(text).fetchall()
                cpu[size][name].append((common.cpu_ns([pids[size]]) - before) / 1e6)
    for conn in conns.values():
        conn.rollback()
        conn.close()
    result = {
        "started": started,
        "ended": datetime.now(UTC).isoformat(timespec="seconds"),
        "load": [load, common.load_average()],
        "jit": args.jit,
        "same_rows_as_today": same,
        "rounds": args.rounds,
        "cpu_ms_median": {
            name: {size: round(statistics.median(cpu[size][name]), 2) for size in conns} for name in plan["large"]
        },
    }
    print(json.dumps(result, indent=1, ensure_ascii=False))
    print("\n| query | large | small | large − small |\n|---|---|---|---|")
    for name, by_size in result["cpu_ms_median"].items():
        print(f"| {name} | {by_size['large']} | {by_size['small']} | {by_size['large'] - by_size['small']:+.2f} |")


if __name__ == "__main__":
    main()

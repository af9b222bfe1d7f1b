"""Two versions of the code side by side on the portal benchmark's worlds: server CPU per request and
wall-clock percentiles, small and large, for some pages (a measurement, not a test).

    git archive main | tar -x -C /tmp/sb-before         # the version to compare with, anywhere
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_portal_bench \\
      .venv/bin/python bench/portal_versions.py /tmp/sb-before --rounds 80 --port 8131 \\
      --page "add clients, search" --page "act for, search"

Four gunicorns (before/after × small/large, from `bench/portal.py` of each checkout: the same worlds,
`generate`d first) are asked in one shuffled plan (`bench/portal.py`'s `measure`), so the machine's
drift between runs — on a shared machine ±20 % on every page, changed or not — falls on both versions
alike. Prints the JSON, then a line per page: CPU small → large and the ratio, before and after.
"""

import sys
from pathlib import Path

# This folder holds bench/token.py, named like a standard-library module: keep it off the import path and
# put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

# Imported before either version's bench/portal.py: both measure with this checkout's shared code.
from bench import _common as common  # noqa: E402

HERE = BENCH.parent


def _load(repo: Path, tag: str):
    spec = importlib.util.spec_from_file_location(f"portal_bench_{tag}", repo / "bench" / "portal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path, help="a checkout of the version to compare with")
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--page", action="append", help="a page's name in bench/portal.py (default: all)")
    args = parser.parse_args(argv)
    versions = {"before": _load(args.before.resolve(), "before"), "after": _load(HERE, "after")}
    ports, servers, requests, masters = {}, {}, {}, {}
    port = args.port
    try:
        for version, bench in versions.items():
            env = {**os.environ, **bench.SERVER_ENV, "DATABASE_URL": bench.url_for("small")}
            manage = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
            subprocess.run(manage, cwd=bench.REPO, env=env, check=True, timeout=300)
            for size in ("small", "large"):
                key = f"{version} {size}"
                ports[key], port = port, port + 1
                servers[key] = bench.start_gunicorn(ports[key], bench.url_for(size), 2, 2)
                masters[key] = (servers[key].pid, bench.url_for(size))
        for version, bench in versions.items():
            for size in ("small", "large"):
                key = f"{version} {size}"
                asked = bench.collect(size, ports[key])
                requests[key] = [(name, raw) for name, raw in asked if not args.page or name in args.page]
        result = {"load_before": common.load_average()}
        result["started"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        result["pages"] = versions["after"].measure(requests, ports, args.rounds, masters)
        result["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        result["load_after"] = common.load_average()
    finally:
        for server in servers.values():
            common.stop_server(server)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    for name, by in result["pages"].items():
        cells = []
        for version in versions:
            small, large = by[f"{version} small"], by[f"{version} large"]
            ratio = (large["cpu_ms"] / max(small["cpu_ms"], 0.1) - 1) * 100
            cells.append(
                f"{version} {small['cpu_ms']:.1f} ({small['cpu_app_ms']:.1f} + {small['cpu_db_ms']:.1f}) → "
                f"{large['cpu_ms']:.1f} ({large['cpu_app_ms']:.1f} + {large['cpu_db_ms']:.1f}) {ratio:+.0f} %, "
                f"p95 {small['p95_ms']:.0f} → {large['p95_ms']:.0f}"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

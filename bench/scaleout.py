# ruff: noqa: E402  (the path fix below must run before the first standard-library import)
"""Scale-out: one web node on one core vs two web nodes, each pinned to a core of its own, behind HAProxy.

    .venv/bin/python bench/scaleout.py [--seconds 10] [--rounds 2] [--concurrency 16]

Starts the fault suite's installation (faults/run.py: its own PostgreSQL cluster and Redis, gunicorn
nodes with 2 gthread workers × 4 threads, HAProxy in front; production settings), then alternates
rounds of "one node on core 0" and "two nodes on cores 0 and 1". Each round measures, in a closed loop
with `--concurrency` keep-alive connections through HAProxy:
- tokens/s: system-user grants at /token (pre-signed, each with its own jti);
- decisions/s: PDP requests (one Permit decision each) with one API owner's token.
Prints each round and the medians, and the factor two nodes / one node. PostgreSQL, HAProxy and this
load generator are not pinned: with two nodes they share the same two cores as the nodes, so on a
two-core machine the factor is a lower bound for machines where the database and balancer have
their own. Every phase is bounded by a deadline; everything started is stopped at the end.
"""

import sys
from pathlib import Path

# This folder holds bench/token.py, named like a standard-library module: keep it off the import path and
# put the repository's root first, whose `bench._common` holds what the benches share.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse
import asyncio
import signal
import statistics
import tempfile
import time
from urllib.parse import urlencode

from bench import _common as common
from faults import run as suite

HARD_LIMIT_SECONDS = 900


def grant_request(load: suite.Load, host: str, orgno: str, iat: float) -> bytes:
    assertion = load.grant("faults-vendor", suite.TOKEN_SCOPE, orgno=orgno, iat=iat)
    return common.token_request(host, urlencode({"grant_type": suite.GRANT_TYPE, "assertion": assertion}).encode())


def pdp_request(host: str, bearer: str, system_user: str, orgno: str) -> bytes:
    question = common.xacml(system_user, "read", "ske-krav-og-betalinger", orgno)
    return common.authorize_request(host, bearer, question)


def closed_loop(port: int, requests: list[bytes], concurrency: int, seconds: float) -> tuple[int, int, float]:
    """(ok, failed, elapsed): `concurrency` keep-alive connections sending the requests in turn."""
    results, elapsed = asyncio.run(common.closed_loop(port, requests, concurrency, seconds))
    ok = sum(1 for status, _ in results if status == 200)
    return ok, len(results) - ok, elapsed


def web_pids(s: suite.Services, nodes) -> list[int]:
    """The gunicorn masters of these nodes and their workers."""
    masters = [s.procs[n].pid for n in nodes]
    return [*masters, *common.descendants(*masters)]


def phase(port: int, requests: list[bytes], concurrency: int, seconds: float, pids: list[int]) -> tuple:
    """(ok per second, failed, web CPU ms per ok answer, cores the web nodes used)."""
    cpu = common.cpu_seconds(pids)
    ok, failed, elapsed = closed_loop(port, requests, concurrency, seconds)
    cpu = common.cpu_seconds(pids) - cpu
    return ok / elapsed, failed, cpu / max(ok, 1) * 1000, cpu / elapsed


def measure(s: suite.Services, load: suite.Load, seed: dict, bearer: str, seconds: float, concurrency: int,
            nodes) -> dict:  # fmt: skip
    host = f"{suite.HOST}:{s.ports['lb']}"
    customers = seed["customers"]
    users = list(zip(seed["system_users"], customers, strict=True))
    budget = int(seconds * 800) + 200  # more than this machine issues; unused grants are thrown away
    started = time.time()
    for _ in range(50):
        grant_request(load, host, customers[0], started)
    sign_seconds = (time.time() - started) / 50 * budget * 1.2
    # The server accepts an iat within 10 s of its clock: sign them all for the middle of the phase.
    iat = time.time() + sign_seconds + 9
    grants = [grant_request(load, host, customers[i % len(customers)], iat) for i in range(budget)]
    if time.time() < iat - 9:
        time.sleep(iat - 9 - time.time())
    closed_loop(s.ports["lb"], grants[:200], concurrency, 3)  # warm every worker's connection
    pids = web_pids(s, nodes)
    tokens = phase(s.ports["lb"], grants[200:], concurrency, min(seconds, iat + 9 - time.time()), pids)
    decisions_requests = [pdp_request(host, bearer, *users[i % len(users)]) for i in range(budget)]
    closed_loop(s.ports["lb"], decisions_requests[:200], concurrency, 3)
    decisions = phase(s.ports["lb"], decisions_requests[200:], concurrency, seconds, pids)
    return {"tokens/s": tokens[0], "tokens failed": tokens[1], "token ms": tokens[2], "token cores": tokens[3],
            "decisions/s": decisions[0], "decisions failed": decisions[1], "decision ms": decisions[2],
            "decision cores": decisions[3]}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    signal.alarm(HARD_LIMIT_SECONDS)
    tmp = Path(tempfile.mkdtemp(prefix="sb-scaleout-"))
    tmp.chmod(0o755)
    s = suite.Services(tmp)
    s.env["TOKEN_LIFETIME_SECONDS"] = "3600"  # one PDP token for the whole run
    s.env["LOG_LEVEL"] = "ERROR"
    results: dict[str, list[dict]] = {"one node, one core": [], "two nodes, a core each": []}
    try:
        print(common.machine())
        s.start_postgres()
        s.start_redis()
        seed, client_keys = suite.prepare(s)
        load = suite.Load(s, seed, client_keys, stop=None)
        bearer = None
        for round_ in range(args.rounds):
            for name, nodes in (("one node, one core", {"a": "0"}), ("two nodes, a core each", {"a": "0", "b": "1"})):
                for node, cpu in nodes.items():
                    s.start_node(node, cpu=cpu)
                s.start_haproxy(tuple(nodes))
                if bearer is None:
                    bearer = load.token(suite.Http(s.ports["lb"]), "token", "faults-pdp", suite.PDP_SCOPE)
                loadavg = common.load_average()[0]
                result = measure(s, load, seed, bearer, args.seconds, args.concurrency, tuple(nodes))
                results[name].append(result)
                r = result
                print(f"round {round_ + 1}, {name} (load average {loadavg}): "
                      f"{r['tokens/s']:.0f} tokens/s ({r['tokens failed']} failed; web nodes used "
                      f"{r['token cores']:.2f} cores, {r['token ms']:.2f} ms CPU per token), "
                      f"{r['decisions/s']:.0f} decisions/s ({r['decisions failed']} failed; "
                      f"{r['decision cores']:.2f} cores, {r['decision ms']:.2f} ms per decision)",
                      flush=True)  # fmt: skip
                for node in ("haproxy", *nodes):
                    s.kill(node, signal.SIGTERM)
        one, two = results["one node, one core"], results["two nodes, a core each"]
        print("\nmedians:")
        for metric in ("tokens/s", "decisions/s", "token cores", "decision cores", "token ms", "decision ms"):
            a, b = statistics.median(r[metric] for r in one), statistics.median(r[metric] for r in two)
            print(f"  {metric:<15} one node {a:8.2f}   two nodes {b:8.2f}   factor {b / a:.2f}")
    finally:
        s.stop_all()
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

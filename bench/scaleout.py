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

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]  # bench/token.py shadows `token`
sys.path.insert(0, os.path.dirname(HERE))

import argparse
import asyncio
import json
import signal
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from faults import run as suite

HARD_LIMIT_SECONDS = 900


def grant_request(load: suite.Load, host: str, orgno: str, iat: float) -> bytes:
    assertion = load.grant("faults-vendor", suite.TOKEN_SCOPE, orgno=orgno, iat=iat)
    body = urlencode({"grant_type": suite.GRANT_TYPE, "assertion": assertion})
    return (f"POST /token HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()  # fmt: skip


def pdp_request(host: str, bearer: str, system_user: str, orgno: str) -> bytes:
    def attrs(*pairs):
        return {"Attribute": [{"AttributeId": k, "Value": v} for k, v in pairs]}

    body = json.dumps({"Request": {
        "AccessSubject": [attrs(("urn:altinn:systemuser:uuid", system_user))],
        "Action": [attrs(("urn:oasis:names:tc:xacml:1.0:action:action-id", "read"))],
        "Resource": [attrs(("urn:altinn:resource", "ske-krav-og-betalinger"),
                           ("urn:altinn:organization:identifier-no", orgno))],
    }})  # fmt: skip
    return (f"POST /authorization/api/v1/authorize HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {bearer}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()  # fmt: skip


async def closed_loop(port: int, requests: list[bytes], concurrency: int, seconds: float) -> tuple[int, int, float]:
    """(ok, failed, elapsed): `concurrency` keep-alive connections sending the requests in turn."""
    feed = iter(requests)
    ok = failed = 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal ok, failed
        reader = writer = None
        for request in feed:
            if time.perf_counter() > deadline:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(suite.HOST, port)
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
                await asyncio.wait_for(reader.readexactly(length), 10)
                if head[9:12] == b"200":
                    ok += 1
                else:
                    failed += 1
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                failed += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, failed, time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def web_pids(s: suite.Services, nodes) -> list[int]:
    """The gunicorn masters of these nodes and their workers."""
    masters = {s.procs[n].pid for n in nodes}
    pids = list(masters)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) in masters:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def phase(port: int, requests: list[bytes], concurrency: int, seconds: float, pids: list[int]) -> tuple:
    """(ok per second, failed, web CPU ms per ok answer, cores the web nodes used)."""
    cpu = cpu_seconds(pids)
    ok, failed, elapsed = asyncio.run(closed_loop(port, requests, concurrency, seconds))
    cpu = cpu_seconds(pids) - cpu
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
    asyncio.run(closed_loop(s.ports["lb"], grants[:200], concurrency, 3))  # warm every worker's connection
    pids = web_pids(s, nodes)
    tokens = phase(s.ports["lb"], grants[200:], concurrency, min(seconds, iat + 9 - time.time()), pids)
    decisions_requests = [pdp_request(host, bearer, *users[i % len(users)]) for i in range(budget)]
    asyncio.run(closed_loop(s.ports["lb"], decisions_requests[:200], concurrency, 3))
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
        print(f"machine: {os.cpu_count()} CPUs, load average {Path('/proc/loadavg').read_text().split()[:3]}")
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
                loadavg = Path("/proc/loadavg").read_text().split()[0]
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

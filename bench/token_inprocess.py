# ruff: noqa: E402  (the path fix below must run before the imports of the project)
"""CPU per token in one process, without an HTTP server: config.wsgi.application called as gunicorn
calls it (a measurement, not a test; issue 19).

    .venv/bin/python bench/token_inprocess.py setup STATE_DIR      # database, keys, clients (bench/token.py's)
    N=1000 .venv/bin/python bench/token_inprocess.py time STATE_DIR
    N=5000 .venv/bin/python bench/token_inprocess.py overhead STATE_DIR

- `time`: N real system-user grants (RS256, fresh `jti` each, signed before the clock starts) on
  PostgreSQL, after 200 for warm-up → CPU and wall ms per token of this process (not PostgreSQL's).
- `overhead`: the same request with the grant's own work stubbed out (rate limits, `exchange_grant`) →
  µs per request of what is around it: the WSGI entry, Django's request and response, the form, the
  signals. Steadier than `time` on a shared machine, since it leaves out the database and RSA.

`setup` uses bench/token.py's settings and data (BENCH_DB_NAME, default sb_h3_bench; BENCH_PORT), so
the production profile applies. To compare two versions, run `time`/`overhead` from each checkout in
turn, alternating, with the same STATE_DIR.
"""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

# This folder holds `token.py`, which shadows the standard library's `token` module: keep it off the path.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
ROOT = Path(HERE).parent
sys.path.insert(0, str(ROOT))

import importlib.util

_spec = importlib.util.spec_from_file_location("bench_token", ROOT / "bench" / "token.py")
bt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bt)

WARM_UP = 200


def setup(state: Path) -> None:
    state.mkdir(parents=True, exist_ok=True)
    env = bt.server_env(state, "prepare_threshold=5")
    (state / "env.json").write_text(json.dumps(env))
    bt.write_key(state / "signing.pem")
    for i in range(bt.CLIENTS):
        bt.write_key(state / f"client-{i}.pem")
    bt.common.drop_database(bt.db_url(bt.DB_NAME))
    bt.common.ensure_database(bt.db_url(bt.DB_NAME))
    subprocess.run([bt.PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([bt.PY, str(ROOT / "bench" / "token.py"), "prepare", str(state)], cwd=ROOT, env=env, check=True)


def environ_of(body: bytes) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/token",
        "SERVER_NAME": bt.HOST,
        "SERVER_PORT": str(bt.PORT),
        "HTTP_HOST": f"{bt.HOST}:{bt.PORT}",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.errors": sys.stderr,
    }


def run(mode: str, state: Path) -> None:
    os.environ.update(json.loads((state / "env.json").read_text()))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    from config.wsgi import application

    n = int(os.environ.get("N", "1000" if mode == "time" else "5000"))
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    if mode == "time":
        requests, _ = bt.Grants(state, peer=False).sign(n + WARM_UP)
        bodies = [raw.split(b"\r\n\r\n", 1)[1] for raw in requests]
    else:
        from maskinporten import limits, views

        answer = {"access_token": "x" * 900, "token_type": "Bearer", "expires_in": 120, "scope": bt.SCOPE}
        views.exchange_grant = lambda **kwargs: answer
        limits.address_wait = lambda ip: None
        limits.client_wait = lambda assertion: None
        grant = urlencode({"grant_type": bt.GRANT_TYPE, "assertion": "e" * 1200}).encode()
        bodies = [grant] * (n + WARM_UP)

    def call(body: bytes) -> None:
        response = application(environ_of(body), start_response)
        b"".join(response)
        response.close()

    for body in bodies[:WARM_UP]:
        call(body)
    cpu, wall = time.process_time(), time.perf_counter()
    for body in bodies[WARM_UP:]:
        call(body)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    load = os.getloadavg()[0]
    if mode == "time":
        per_token = f"CPU {1000 * cpu / n:.3f} ms/token, wall {1000 * wall / n:.3f} ms/token"
        print(f"{n} tokens: {per_token}; {statuses}; load {load:.2f}")
    else:
        print(f"{n} requests, grant stubbed: CPU {1e6 * cpu / n:.1f} µs/request; {statuses}; load {load:.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in {"setup", "time", "overhead"}:
        sys.exit(__doc__)
    if sys.argv[1] == "setup":
        setup(Path(sys.argv[2]))
    else:
        run(sys.argv[1], Path(sys.argv[2]))

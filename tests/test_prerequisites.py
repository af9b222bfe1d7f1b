"""`make test` and `make faults` name what the machine lacks before they start (scripts/check-prerequisites)."""

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check-prerequisites"


def run(tmp_path, *args, **env):
    # A PATH with bash alone: every tool the suites need is missing.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "bash").symlink_to(shutil.which("bash"))
    return subprocess.run(
        [str(bin_dir / "bash"), str(SCRIPT), *args],
        env={"PATH": str(bin_dir), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_fault_suite_names_every_missing_program_and_how_to_install_it(tmp_path):
    result = run(tmp_path, "faults")
    assert result.returncode == 1
    for name in ("HAProxy", "Redis server", "PostgreSQL server", "psql", "taskset"):
        assert name in result.stderr
    assert "apt-get install -y haproxy redis-server postgresql postgresql-client util-linux" in result.stderr


def test_the_test_suite_names_chromium_and_node(tmp_path):
    result = run(tmp_path, CHROMIUM_PATH=str(tmp_path / "no-chromium"))
    assert result.returncode == 1
    assert "Chromium for the browser tests" in result.stderr and "Node.js and npm" in result.stderr
    assert "apt-get install -y chromium nodejs npm" in result.stderr


def test_on_this_machine_nothing_is_missing():
    result = subprocess.run([str(SCRIPT)], env=os.environ, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_on_postgresql_the_test_suite_names_tokends_rust_and_crates(tmp_path):
    result = run(
        tmp_path, CHROMIUM_PATH=str(tmp_path / "no-chromium"), DATABASE_URL="postgres://db/x", HOME=str(tmp_path)
    )
    assert result.returncode == 1
    assert "Debian's Rust crates for tokend" in result.stderr and "Rust ≥ 1.70 with cargo for tokend" in result.stderr
    assert "librust-hyper-dev librust-tokio-dev librust-tokio-postgres-dev" in result.stderr


def test_on_sqlite_tokend_is_not_asked_for(tmp_path):
    result = run(tmp_path, CHROMIUM_PATH=str(tmp_path / "no-chromium"))
    assert "Rust" not in result.stderr

"""gunicorn.conf.py: the hooks Prometheus' multiprocess mode needs (docs/operations.md "Metrics")."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hooks():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(directory: Path, *names: str) -> None:
    for name in names:
        (directory / name).write_bytes(b"x")


def test_a_start_forgets_the_last_runs_counts_and_nothing_else(hooks, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    _files(tmp_path, "counter_101.db", "histogram_101.db", "gauge_livesum_102.db", "db.sqlite3", "other.db")
    hooks.on_starting(server=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite3", "other.db"]


def test_a_start_creates_the_directory(hooks, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))
    hooks.on_starting(server=None)
    assert (tmp_path / "prometheus").is_dir()


def test_an_exited_worker_keeps_its_counts_and_loses_its_live_gauges(hooks, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    _files(tmp_path, "counter_101.db", "gauge_livesum_101.db", "gauge_livesum_102.db")
    hooks.child_exit(server=None, worker=SimpleNamespace(pid=101))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_101.db", "gauge_livesum_102.db"]


def test_without_the_directory_the_hooks_do_nothing(hooks, tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    _files(tmp_path, "counter_101.db")
    hooks.on_starting(server=None)
    hooks.child_exit(server=None, worker=SimpleNamespace(pid=101))
    assert [p.name for p in tmp_path.iterdir()] == ["counter_101.db"]

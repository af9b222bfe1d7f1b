"""gunicorn hooks for Prometheus metrics in multiprocess mode (docs/operations.md "Metrics").

gunicorn reads this file from the working directory by default (or give `-c gunicorn.conf.py`). Bind
address, workers and threads stay on the command line. Without PROMETHEUS_MULTIPROC_DIR both hooks do
nothing.
"""

import os
from pathlib import Path


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    return Path(value) if value else None


def on_starting(server):
    # Files left by the workers of an earlier run would be added to this run's counters.
    directory = _multiproc_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for pattern in ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db"):  # prometheus_client's only
            for stale in directory.glob(pattern):
                stale.unlink()


def child_exit(server, worker):
    # A worker that exited (restarted by max_requests, killed, timed out): its counters stay in the
    # sums; prometheus_client drops only what would be wrong to keep, its live gauges.
    if _multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

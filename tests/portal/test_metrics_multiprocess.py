"""PROMETHEUS_MULTIPROC_DIR: counters of separate processes (gunicorn, Celery) add up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COUNT = """
import django; django.setup()
from portal.metrics import email_failed
email_failed(kind="approval", count={n})
"""
SCRAPE = """
import django; django.setup()
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
import portal.metrics  # noqa: F401  (sets the multiprocess value class)
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
print(generate_latest(registry).decode())
"""


def run(code: str, folder: Path) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_counters_of_two_processes_add_up_in_a_scrape(tmp_path: Path) -> None:
    run(COUNT.format(n=2), tmp_path)
    run(COUNT.format(n=3), tmp_path)

    assert 'portal_email_failures_total{kind="approval"} 5.0' in run(SCRAPE, tmp_path)
    # One file per process, named after host and pid: two containers never share one.
    files = sorted(p.name for p in tmp_path.glob("counter_*.db"))
    assert len(files) == 2
    assert all(name.startswith(f"counter_{socket.gethostname()}-") for name in files)

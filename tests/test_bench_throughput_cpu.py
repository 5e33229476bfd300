"""bench/bench_throughput.py's CPU per request: gunicorn replaces a worker after max_requests, and
the replaced worker's CPU must still count (a recycle made a turn's figure negative)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_throughput.py"

# A stand-in for gunicorn's master: one child burns about half a second of CPU and is reaped
# (as gunicorn reaps a worker it replaced), then the parent waits to be measured.
MASTER = """
import subprocess, sys, time
subprocess.run([sys.executable, "-c",
                "import time\\nend = time.process_time() + 0.5\\n"
                "while time.process_time() < end: pass"], check=True)
print("reaped", flush=True)
time.sleep(30)
"""


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_throughput_under_test", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_reaped_workers_cpu_still_counts() -> None:
    bench = _bench()
    master = subprocess.Popen([sys.executable, "-c", MASTER], stdout=subprocess.PIPE, text=True)
    try:
        assert master.stdout is not None
        assert master.stdout.readline().strip() == "reaped"
        time.sleep(0.1)
        assert (Path(f"/proc/{master.pid}/task") / str(master.pid) / "children").read_text() == ""
        used = bench.workers_cpu_seconds(master.pid)
        assert 0.4 <= used < 5, used
    finally:
        master.kill()
        master.wait()

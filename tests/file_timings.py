"""Per-file wall and CPU time of a run, to find what makes the suite slow (opt-in plugin).

``python -m pytest -p tests.file_timings …`` writes one JSON line per test file to
``$PORTAL_TEST_TIMINGS`` (default ``var/test/file-timings.jsonl``): its wall seconds, the CPU
seconds of the pytest process that ran it and the CPU of the child processes it waited for
(Celery workers, ``manage.py`` subprocesses, gunicorn, the browser's driver). Under
pytest-xdist with ``--dist loadfile`` each file runs in one process, so the sums per file are
that file's cost; ``python -m tests.file_timings FILE`` prints the top files by CPU and wall.

A process's last teardown also ends its session-scoped fixtures (the Chromium the browser
journeys share, which is waited for only then): it is counted under ``SESSION_TEARDOWN``, not
under the file that happened to run last. Child processes a test never waited for are reaped
later, by whichever file next starts one, and count there.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Generator
from pathlib import Path

import pytest

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "var" / "test" / "file-timings.jsonl"
SESSION_TEARDOWN = "(the last teardown: session fixtures)"


def children_cpu() -> float:
    """CPU (user + system) of the child processes waited for so far, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _now() -> dict[str, float]:
    return {"wall": time.perf_counter(), "cpu": time.process_time(), "children": children_cpu()}


class FileTimings:
    """Adds up each item's wall, own CPU and children's CPU under its file's path."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, float]] = {}
        self.last_teardown: dict[str, float] = {}

    def _add(self, path: str, spent: dict[str, float], tests: int) -> None:
        entry = self.files.setdefault(path, {"wall": 0.0, "cpu": 0.0, "children": 0.0,
                                             "tests": 0})
        for key, value in spent.items():
            entry[key] += value
        entry["tests"] += tests

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        start = _now()
        try:
            return (yield)
        finally:
            end = _now()
            spent = {key: end[key] - start[key] - self.last_teardown.get(key, 0.0)
                     for key in start}
            self._add(item.nodeid.split("::", 1)[0], spent, 1)
            if self.last_teardown:
                self._add(SESSION_TEARDOWN, self.last_teardown, 0)
                self.last_teardown = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None
                                ) -> Generator[None, object, object]:
        if nextitem is not None:
            return (yield)
        start = _now()
        try:
            return (yield)
        finally:
            end = _now()
            self.last_teardown = {key: end[key] - start[key] for key in start}

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        output = Path(os.environ.get("PORTAL_TEST_TIMINGS", DEFAULT_OUTPUT))
        output.parent.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with output.open("a") as stream:  # one run's processes append side by side
            for path, entry in self.files.items():
                stream.write(json.dumps({"file": path, "process": worker, **entry}) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(FileTimings(), "file-timings")


def summary(path: Path, top: int = 25) -> str:
    """The top files by CPU (own + children) and by wall, as a plain-text table."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row["total"] = row["cpu"] + row["children"]
    lines = [f"{len(rows)} files: wall {sum(r['wall'] for r in rows):.0f} s, own CPU "
             f"{sum(r['cpu'] for r in rows):.0f} s, children CPU "
             f"{sum(r['children'] for r in rows):.0f} s"]
    for key in ("total", "wall"):
        lines.append(f"-- top {top} by {key}: wall / own CPU / children CPU / tests")
        for row in sorted(rows, key=lambda r: -r[key])[:top]:
            lines.append(f"{row['wall']:7.1f} {row['cpu']:7.1f} {row['children']:7.1f} "
                         f"{int(row['tests']):5d}  {row['file']}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUTPUT)))

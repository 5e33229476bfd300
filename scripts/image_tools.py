"""The image test's toolbox: commands, progress lines, waiting, health checks and cleanup.

Split from scripts/image_test.py (the steps of `make image-test`), which imports it; nothing
here knows what the steps build or start. Commands run from the repository root.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()


class ImageTestFailed(Exception):
    """A step of the image test failed: main() reports it, cleans up and exits 1."""


def say(message: str) -> None:
    """One progress line, stamped with the seconds since the test started (CI shows it live)."""
    print(f"[image-test {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def run(*command: str, check: bool = True, timeout: float = 600, quiet: bool = False,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command; its output is shown only when it fails (or always unless quiet)."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise ImageTestFailed(f"{' '.join(command[:6])}... exited {result.returncode}:\n"
                              f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
    if not quiet and result.returncode != 0:
        say(f"{command[0]} exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return result


def timed(label: str, timings: dict[str, float], action: Callable[[], object]) -> None:
    """Run ``action`` as the step ``label``; its seconds go into ``timings`` for the summary."""
    begin = time.monotonic()
    say(f"{label}...")
    action()
    timings[label] = time.monotonic() - begin
    say(f"{label}: {timings[label]:.1f} s")


def wait_until(what: str, check: Callable[[], bool], *, timeout: float, every: float = 2) -> None:
    """Poll ``check`` every ``every`` seconds; a failure naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise ImageTestFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def healthy(container: str) -> bool:
    """Run the container's health check now (no systemd here to run podman's timers) and report.

    `podman healthcheck run` exits 0 when the check passed; the recorded status is then read back
    from `podman inspect`, as an orchestrator would see it.
    """
    if run("podman", "healthcheck", "run", container, check=False, quiet=True).returncode != 0:
        return False
    status = run("podman", "inspect", "--format", "{{.State.Health.Status}}", container,
                 check=False, quiet=True).stdout.strip()
    return status == "healthy"


class Stack:
    """What the test started, removed in reverse order by close()."""

    def __init__(self) -> None:
        self.undo: list[tuple[str, Callable[[], object]]] = []
        self.failed = False

    def on_close(self, label: str, action: Callable[[], object]) -> None:
        self.undo.append((label, action))

    def close(self) -> None:
        while self.undo:
            label, action = self.undo.pop()
            try:
                action()
            except Exception as exc:  # keep cleaning up the rest
                say(f"cleanup of {label} failed: {exc}")


def container_logs(names: list[str]) -> None:
    """The last log lines of each container, printed when a step failed (for the CI log)."""
    for name in names:
        logs = run("podman", "logs", "--tail", "40", name, check=False, quiet=True)
        print(f"--- last log lines of {name} ---\n{logs.stdout}{logs.stderr}", flush=True)

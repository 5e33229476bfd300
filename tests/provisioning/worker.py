"""A real Celery worker process on the real broker, working on this test run's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# How the test worker follows AWS operations (the defaults are 5 s doubling to 60 s). A test whose
# own process starts operations (a live portal's stop, start, change, terminate) gives itself
# the same, as one deployment's processes share their settings.
FOLLOW_SETTINGS = {"PORTAL_FOLLOW_FIRST_SECONDS": 1, "PORTAL_FOLLOW_MAX_SECONDS": 2}


class WorkerProcess:
    """``celery worker`` in a subprocess; its output is kept for failure messages."""

    def __init__(self, *, extra_env: Mapping[str, str] | None = None) -> None:
        self.extra_env = dict(extra_env or {})
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self, *, purge: bool = False, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PORTAL_TEST_WORKER_DATABASE": str(connection.settings_dict["NAME"]),
            # The fake AWS: this folder's catalog, a second per stack or notebook transition.
            "FAKEAWS_CATALOG_FILE": str(ROOT / "tests/provisioning/catalog/catalog.yaml"),
            "FAKEAWS_OPERATION_SECONDS": "1",
            "FAKEAWS_CONSISTENCY_SECONDS": "0",
            **{name: str(value) for name, value in FOLLOW_SETTINGS.items()},
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                   "--loglevel=INFO", "--without-gossip", "--without-mingle",
                   "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"]
        if purge:
            command.append("--purge")
        self.lines = []
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not any(" ready." in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("The Celery worker did not start:\n" + self.output())
            time.sleep(0.1)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines[-200:])

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to acknowledge, requeue or clean up anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

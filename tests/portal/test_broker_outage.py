"""A Redis outage does not kill the Celery worker (portal/broker.py).

A real worker (prefork pool, the portal's settings) on a private redis-server that the test
restarts twice while an acks_late task is running and a BRPOP is in flight: the state in which
kombu's own transport stops the worker with ``AttributeError: 'NoneType' object has no attribute
'hostname'``. The worker must still be running afterwards and must do new work.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]

class PrivateRedis:
    """A redis-server of this test alone, on a free port, without persistence."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/2"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: this test restarts a broker of its own "
                        "(`scripts/system-deps.sh test` installs Debian's redis-server)",
                        pytrace=False)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


class OutageWorker:
    """``celery worker`` with the prefork pool: a free pool slot keeps a BRPOP in flight."""

    def __init__(self, broker_url: str) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
               "CELERY_BROKER_URL": broker_url, "PYTHONUNBUFFERED": "1"}
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
             "--concurrency=2", "--loglevel=INFO", "-I", "tests.portal.outage_tasks",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"outage-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker never logged {text!r}:\n" + self.output())
            time.sleep(0.1)

    def output(self) -> str:
        return "".join(self.lines[-150:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def _send(broker_url: str, path: Path, seconds: float) -> None:
    # kombu's Redis transport for this URL: the test process's configured transport may be the
    # embedded filesystem one, which an explicit transport setting would otherwise impose.
    with app.connection_for_write(broker_url, transport="redis") as connection:
        app.send_task("tests.outage_mark", args=[str(path), seconds], connection=connection)


def _wait_for_file(path: Path, worker: OutageWorker, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was never written:\n" + worker.output())
        time.sleep(0.1)


def test_the_worker_survives_two_redis_restarts_and_works_afterwards(
        redis_server: PrivateRedis, tmp_path: Path) -> None:
    worker = OutageWorker(redis_server.url)
    try:
        worker.wait_for(" ready.")
        for outage in (1, 2):
            # A task still running (unacknowledged, acks_late) while the other pool slot keeps
            # a BRPOP waiting: then Redis goes away.
            _send(redis_server.url, tmp_path / f"during-{outage}", seconds=4)
            worker.wait_for("] received", count=outage)
            time.sleep(0.5)
            redis_server.stop()
            worker.wait_for("Connection to broker lost", count=outage)
            time.sleep(1)
            redis_server.start()
            worker.wait_for("Connected to ", count=outage + 1)
        assert worker.process.poll() is None, worker.output()
        assert "Unrecoverable error" not in worker.output()

        _send(redis_server.url, tmp_path / "after", seconds=0)
        _wait_for_file(tmp_path / "after", worker)
        assert worker.process.poll() is None
    finally:
        worker.stop()

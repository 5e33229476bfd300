"""Idle connections whose last request carried an unread body cannot freeze gunicorn.

A real gunicorn, started with the image's worker settings (read from docker/Dockerfile), gets
more such connections than it has threads; /healthz must still answer at once, every time.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
BODY = b"x" * 20_000  # larger than gunicorn's 8 KiB read buffer, which /healthz never reads


def image_worker_flags() -> list[str]:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    workers = re.search(r'"--workers", "(\d+)"', dockerfile)
    threads = re.search(r'"--threads", "(\d+)"', dockerfile)
    assert workers and threads, "the Dockerfile's CMD names --workers and --threads"
    return ["--workers", workers.group(1), "--threads", threads.group(1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthz_seconds(port: int, *, timeout: float) -> float:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        assert response.status == 200
        response.read()
    finally:
        conn.close()
    return time.monotonic() - started


def start_gunicorn(port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "GUNICORN_CMD_ARGS": ""}
    return subprocess.Popen(
        [str(GUNICORN), "config.wsgi", "--config", "python:config.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", *image_worker_flags(), "--timeout", "60", *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


@pytest.fixture
def gunicorn_port() -> Iterator[int]:
    port = free_port()
    server = start_gunicorn(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            try:
                healthz_seconds(port, timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not come up within 60 s"
                time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def open_idle_connection_with_unread_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
                 b"Content-Type: application/octet-stream\r\n"
                 b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
    sock.recv(4096)  # the answer has come; the client now sits idle on the connection
    return sock


def test_idle_connections_with_an_unread_body_do_not_starve_the_workers(
        gunicorn_port: int) -> None:
    idle = [open_idle_connection_with_unread_body(gunicorn_port) for _ in range(24)]
    try:
        timings = [healthz_seconds(gunicorn_port, timeout=5) for _ in range(10)]
    finally:
        for sock in idle:
            sock.close()

    assert max(timings) < 2, timings


def test_gunicorn_refuses_to_start_when_keep_alive_is_brought_back() -> None:
    server = start_gunicorn(free_port(), "--keep-alive", "5")
    try:
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert server.returncode != 0
    assert b"keep-alive must stay 0" in stderr

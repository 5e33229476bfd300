"""scripts/healthcheck.py, the containers' health checks, against a running portal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def healthcheck(mode: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/healthcheck.py", mode], cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env}, capture_output=True, text=True,
        timeout=60,
    )


def test_web_is_healthy_when_healthz_answers_for_an_allowed_host(live_server: object) -> None:
    url = f"{live_server.url}/healthz"  # type: ignore[attr-defined]
    result = healthcheck("web", PORTAL_HEALTHCHECK_URL=url,
                         ALLOWED_HOSTS=".localhost,portal.bank.example")

    assert result.returncode == 0, result.stderr


def test_web_is_unhealthy_when_the_portal_rejects_the_host(live_server: object) -> None:
    url = f"{live_server.url}/healthz"  # type: ignore[attr-defined]
    result = healthcheck("web", PORTAL_HEALTHCHECK_URL=url,
                         ALLOWED_HOSTS="portal.bank.example")

    assert result.returncode == 1
    assert "400" in result.stderr


def test_web_is_unhealthy_when_nothing_listens() -> None:
    result = healthcheck("web", PORTAL_HEALTHCHECK_URL="http://127.0.0.1:9/healthz",
                         ALLOWED_HOSTS="localhost")

    assert result.returncode == 1
    assert "healthz:" in result.stderr


@pytest.mark.parametrize("mode", ["", "database"])
def test_it_refuses_an_unknown_mode(mode: str) -> None:
    result = healthcheck(mode)

    assert result.returncode == 1
    assert "usage:" in result.stderr


def test_beat_is_unhealthy_when_the_broker_is_unreachable(tmp_path: Path) -> None:
    result = healthcheck("beat", SECRET_KEY="k" * 60, ALLOWED_HOSTS="localhost",
                         PORTAL_VAR_DIR=str(tmp_path), CELERY_BROKER_URL="redis://127.0.0.1:9/0")

    assert result.returncode == 1
    assert "beat:" in result.stderr

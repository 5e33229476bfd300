"""scripts/demo.py, the `make demo` supervisor: environment, users table, stopping children."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_supervisor", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = load_demo()
    monkeypatch.setattr(module, "VAR", tmp_path / "var")
    monkeypatch.setattr(module, "STOP_TIMEOUT", 2.0)
    return module


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def gone_or_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_the_secret_key_is_generated_once_and_kept_private(demo: ModuleType) -> None:
    first = demo.secret_key()
    second = demo.secret_key()

    assert first == second and len(first) >= 50
    mode = stat.S_IMODE((demo.VAR / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_the_demo_environment_is_production_like_on_plain_http(
    demo: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://somewhere/else")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://somewhere:6379/0")

    env = demo.demo_environment()

    assert env["DEBUG"] == "false" and env["PORTAL_PLAIN_HTTP"] == "true"
    assert env["ALLOWED_HOSTS"] == "localhost,127.0.0.1"
    assert env["SECRET_KEY"] == (demo.VAR / "secret_key").read_text().strip()
    assert "DATABASE_URL" not in env and "CELERY_BROKER_URL" not in env  # embedded defaults
    assert env["PORTAL_SAML_IDP_ENTITY_ID"] == "http://localhost:8001/metadata"
    assert env["PORTAL_SAML_IDP_SSO_URL"] == "http://localhost:8001/sso/redirect"
    assert env["PORTAL_SAML_IDP_X509CERT_FILE"].endswith("var/devidp/idp.crt")


def test_demo_port_moves_the_portal_and_the_idp_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_PORT", "8130")
    moved = load_demo()
    monkeypatch.setattr(moved, "VAR", tmp_path / "var")
    assert (moved.PORTAL_PORT, moved.IDP_PORT) == (8130, 8131)
    assert moved.PORTAL_URL == "http://localhost:8130"
    env = moved.demo_environment()
    assert env["PORTAL_BASE_URL"] == "http://localhost:8130"
    assert env["PORTAL_SAML_IDP_ENTITY_ID"] == "http://localhost:8131/metadata"


@pytest.mark.parametrize("raw", ["eighty", "80", "65535"])
def test_a_bad_demo_port_is_a_clear_error(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PORT", raw)
    with pytest.raises(SystemExit, match="DEMO_PORT must be a port"):
        load_demo()


def test_the_users_table_shows_each_demo_user_with_role_and_projects(demo: ModuleType) -> None:
    lines = demo.users_table().splitlines()

    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in lines[2:-1]}
    assert rows == {
        "dana.scientist": "data scientist fraud-detection (member)",
        "sam.scientist": "data scientist credit-risk (member)",
        "maria.manager": "approver fraud-detection (lead)",
        "rob.lead": "approver credit-risk (lead)",
        "pat.admin": "platform admin -",
        "audrey.auditor": "auditor -",
    }
    assert lines[-1] == "password for everyone: demo"


def test_when_one_child_dies_the_supervisor_names_it_and_stops_the_rest(
    demo: ModuleType,
) -> None:
    supervisor = demo.Supervisor(dict(os.environ))
    sleeper = supervisor.start(demo.Child("sleeper", python("import time; time.sleep(60)")))
    supervisor.start(demo.Child("crasher", python("import sys; sys.exit(3)")))

    deadline = time.monotonic() + 20
    while supervisor.dead_child() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    dead = supervisor.dead_child()
    supervisor.stop_all()

    assert dead is not None and (dead.name, dead.exit_code()) == ("crasher", 3)
    assert sleeper.exit_code() is not None


def test_stopping_also_ends_grandchildren_that_ignore_sigterm(
    demo: ModuleType, tmp_path: Path
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    parent = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', {stubborn!r}])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    supervisor = demo.Supervisor(dict(os.environ))
    supervisor.start(demo.Child("parent", python(parent)))
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())

    supervisor.stop_all()

    deadline = time.monotonic() + 5
    while not gone_or_zombie(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone_or_zombie(grandchild)

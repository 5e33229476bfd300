"""scripts/system-deps.sh installs exactly the Debian packages whose commands are missing.

apt-get (and sudo) are replaced by recorders on a PATH that holds only what the script needs, so
the test sees what would be installed without touching the machine.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system-deps.sh"


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("env", "bash", "id"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    recorder = bin_dir / "apt-get"
    recorder.write_text(f'#!{shutil.which("bash")}\necho "$*" >> "{tmp_path / "apt.log"}"\n')
    recorder.chmod(0o755)
    # When the suite is not run as root the script goes through sudo (-n without a terminal).
    sudo = bin_dir / "sudo"
    sudo.write_text(f'#!{shutil.which("bash")}\n[ "$1" = -n ] && shift\nexec "$@"\n')
    sudo.chmod(0o755)
    return bin_dir


def provide(bin_dir: Path, *commands: str, script: str = "exit 0") -> None:
    for command in commands:
        path = bin_dir / command
        path.write_text(f'#!{shutil.which("bash")}\n{script}\n')
        path.chmod(0o755)


def run(bin_dir: Path, profile: str, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    result = subprocess.run([str(SCRIPT), profile], env={"PATH": str(bin_dir), **env},
                            capture_output=True, text=True, timeout=60)
    log = bin_dir.parent / "apt.log"
    return result, log.read_text().splitlines() if log.exists() else []


def installed(calls: list[str]) -> set[str]:
    assert calls[0] == "update"
    prefix = "install -y --no-install-recommends "
    assert calls[1].startswith(prefix) and len(calls) == 2
    return set(calls[1][len(prefix):].split())


def test_the_test_profile_installs_every_missing_package(fake_bin: Path) -> None:
    result, calls = run(fake_bin, "test")

    assert result.returncode == 0, result.stderr
    assert installed(calls) == {"python3", "xmlsec1", "chromium", "docker-compose", "npm",
                                "redis-server"}


def test_the_runtime_profile_the_image_uses_installs_only_python3(fake_bin: Path) -> None:
    result, calls = run(fake_bin, "runtime")

    assert result.returncode == 0, result.stderr
    assert installed(calls) == {"python3"}


def test_the_demo_profile_adds_xmlsec1_for_the_dev_idp(fake_bin: Path) -> None:
    result, calls = run(fake_bin, "demo")

    assert result.returncode == 0, result.stderr
    assert installed(calls) == {"python3", "xmlsec1"}


def test_the_image_test_profile_installs_podman_and_its_helpers(fake_bin: Path) -> None:
    result, calls = run(fake_bin, "image-test")

    assert result.returncode == 0, result.stderr
    # netavark and aardvark-dns are looked for as files (not commands on PATH): this machine's.
    helpers = {package for package in ("netavark", "aardvark-dns")
               if not Path("/usr/lib/podman", package).exists()}
    # iptables: netavark's bridge network (build steps, compose) needs it.
    assert installed(calls) == {"python3", "podman", "runc", "debootstrap",
                                "docker-compose", "iptables"} | helpers


def test_a_python_without_venv_gets_python3_venv(fake_bin: Path) -> None:
    provide(fake_bin, "python3", script="exit 1")  # `import ensurepip` fails

    result, calls = run(fake_bin, "runtime", PYTHON="python3")

    assert result.returncode == 0, result.stderr
    assert installed(calls) == {"python3-venv"}


def test_nothing_is_installed_when_every_command_is_there(fake_bin: Path) -> None:
    provide(fake_bin, "xmlsec1", "chromium", "docker-compose", "npm", "redis-server", "python3")

    result, calls = run(fake_bin, "test", PYTHON="python3")

    assert result.returncode == 0, result.stderr
    assert calls == []


def test_an_unknown_profile_is_refused(fake_bin: Path) -> None:
    result, calls = run(fake_bin, "everything")

    assert result.returncode == 2
    assert "usage:" in result.stderr and calls == []

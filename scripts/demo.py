"""``make demo``: prepare the embedded-mode portal and run it with its dev IdP, worker and beat.

Steps: migrate, collectstatic, seed the demo data, sync the demo catalog from the fake AWS (the real
sync, through boto3), curate it (prices; subnet, security groups and KMS key fixed from each
project account) and seed the demo approval policies, then start the dev SAML IdP, wait for its
certificate, start gunicorn, the Celery worker and Celery beat, wait for /healthz and print the
URL and the demo users. Ctrl-C (or SIGTERM) stops every child; if one child dies the others are
stopped too and the exit code is non-zero.

Everything runs with the demo environment below: DEBUG off as in production, but plain HTTP on
localhost, SQLite and Celery's filesystem transport under var/, the fake AWS of fakeaws/ (every
boto3 call answered in AWS's wire protocol; state in the database the web and worker share).
``DEMO_PORT`` moves the portal off 8000 (the dev IdP takes the port after it).
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent
PYTHON = sys.executable



def demo_port(raw: str | None) -> int:
    """The portal's port: ``DEMO_PORT`` (default 8000); the dev IdP listens on the next one."""
    try:
        port = int(raw or "8000")
    except ValueError:
        port = 0
    if not 1024 <= port <= 65534:
        raise SystemExit(f"DEMO_PORT must be a port from 1024 to 65534 (the dev IdP takes the "
                         f"next one), got {raw!r}")
    return port


PORTAL_PORT = demo_port(os.environ.get("DEMO_PORT"))
IDP_PORT = PORTAL_PORT + 1
PORTAL_URL = f"http://localhost:{PORTAL_PORT}"
IDP_URL = f"http://localhost:{IDP_PORT}"
USERS_FILE = ROOT / "portal" / "devidp" / "demo_users.yaml"
IDP_STATE = VAR / "devidp"
IDP_CERT = IDP_STATE / "idp.crt"

DEMO_EVENTS_QUEUE = "https://sqs.eu-west-1.amazonaws.com/999999999999/portal-events"
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0

# Variables that would take the demo away from its embedded defaults if inherited from a shell.
NOT_INHERITED = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "PORTAL_VAR_DIR",
                 "STATIC_ROOT", "PORTAL_AWS_MODE", "PORTAL_AWS_CLIENT_HOOK",
                 "PORTAL_AWS_STATIC_CREDENTIALS", "FAKEAWS_CATALOG_FILE",
                 "PORTAL_SAML_IDP_METADATA_URL", "PORTAL_EVENTS_ENABLED",
                 "PORTAL_EVENTS_QUEUE_URL", "FAKEAWS_EVENTS_QUEUE_URL",
                 "PORTAL_SAML_IDP_METADATA_FILE", "PORTAL_SAML_IDP_X509CERT",
                 "DJANGO_SETTINGS_MODULE")


def secret_key() -> str:
    """A key generated on the first run and kept in var/, so sessions survive a restart."""
    path = VAR / "secret_key"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


def parameter_key() -> str:
    """A Fernet key (sealing NoEcho values) generated on the first run and kept in var/."""
    path = VAR / "parameter_key"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return path.read_text().strip()


def demo_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secret_key(),
        PORTAL_PARAMETER_KEY=parameter_key(),
        ALLOWED_HOSTS="localhost,127.0.0.1",
        # Plain HTTP on localhost only: relaxes the HTTPS-only cookies, redirect and HSTS.
        PORTAL_PLAIN_HTTP="true",
        # The demo catalog arrives published; a platform admin can still unpublish and curate.
        PORTAL_CATALOG_PUBLISH_NEW="true",
        PORTAL_BASE_URL=PORTAL_URL,
        PORTAL_SAML_IDP_ENTITY_ID=f"{IDP_URL}/metadata",
        PORTAL_SAML_IDP_SSO_URL=f"{IDP_URL}/sso/redirect",
        PORTAL_SAML_IDP_X509CERT_FILE=str(IDP_CERT),
        PORTAL_SAML_IDP_NAME="Demo IdP",
        # Event-driven status: the fake's EventBridge fills this queue, consume_events reads it.
        PORTAL_EVENTS_ENABLED="true",
        PORTAL_EVENTS_QUEUE_URL=DEMO_EVENTS_QUEUE,
        PYTHONUNBUFFERED="1",
    )
    return env


def say(message: str) -> None:
    print(f"demo | {message}", flush=True)


class DemoFailed(Exception):
    pass


def run_step(args: Sequence[str], env: dict[str, str]) -> bool:
    """Run one preparation command to completion; True when it succeeded."""
    result = subprocess.run(list(args), cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    return result.returncode == 0


def prepare(env: dict[str, str]) -> None:
    manage = [PYTHON, "manage.py"]
    for title, args in (
        ("applying migrations", [*manage, "migrate", "--noinput"]),
        ("collecting static files", [*manage, "collectstatic", "--noinput", "-v", "0"]),
        ("seeding demo projects and users", [*manage, "seed_demo", "--users", str(USERS_FILE)]),
        ("syncing the demo catalog from the fake AWS", [*manage, "sync_catalog"]),
        ("curating the demo catalog", [*manage, "seed_demo_catalog"]),
        ("seeding demo approval policies", [*manage, "seed_demo_policies"]),
        ("seeding demo quotas", [*manage, "seed_demo_quotas"]),
        ("creating the fake's events queue", [*manage, "fakeaws_events_queue"]),
    ):
        say(title)
        if not run_step(args, env):
            raise DemoFailed(f"{title} failed: {' '.join(args[1:])}")


@dataclass
class Child:
    name: str
    args: list[str]
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen[str] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        # A session of its own: the terminal's Ctrl-C reaches only the supervisor, which then
        # stops the children in order instead of all of them racing each other.
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True,
        )
        threading.Thread(target=self._relay, args=(self.process.stdout,), daemon=True).start()

    def _relay(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            sys.stdout.write(f"{self.name:>6} | {line}")
            sys.stdout.flush()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal_stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.send_signal(self.stop_signal)
            except ProcessLookupError:
                pass

    def kill_group(self) -> None:
        """SIGKILL whatever is left of the child's process group (e.g. orphaned pool workers)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()


class Supervisor:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[Child] = []
        self.stopping = threading.Event()

    def start(self, child: Child) -> Child:
        program, *args = child.args
        say(f"starting {child.name}: {Path(program).name} {' '.join(args)}")
        child.start(self.env)
        self.children.append(child)
        return child

    def dead_child(self) -> Child | None:
        return next((c for c in self.children if c.exit_code() is not None), None)

    def wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        """Poll until ready, a child dies, Ctrl-C arrives or the start-up time runs out."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            if self.stopping.is_set():
                raise KeyboardInterrupt
            dead = self.dead_child()
            if dead is not None:
                raise DemoFailed(f"{dead.name} exited with code {dead.exit_code()} "
                                 f"while waiting for {what}")
            if time.monotonic() > deadline:
                raise DemoFailed(f"timed out after {STARTUP_TIMEOUT:.0f}s waiting for {what}")
            time.sleep(0.2)

    def stop_all(self) -> None:
        """Signal every child (last started first), wait, then clear out their process groups."""
        for child in reversed(self.children):
            child.signal_stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{child.name} did not stop within {STOP_TIMEOUT:.0f}s; killing it")
            child.kill_group()
        say("all processes stopped")


def certificate_written() -> bool:
    try:
        return "END CERTIFICATE" in IDP_CERT.read_text()
    except OSError:
        return False


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def portal_healthy() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORTAL_PORT}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def users_table(path: Path = USERS_FILE) -> str:
    """The demo people with the portal role their IdP groups grant, as a plain-text table."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    from django.conf import settings  # configured by main() with the demo environment

    role_groups: dict[str, list[str]] = settings.PORTAL_ROLE_GROUPS
    labels = {"catalog_admin": "platform admin", "auditor": "auditor", "approver": "approver"}
    rows = [("username", "role", "projects")]
    for user in document["users"]:
        groups = set(user.get("groups") or [])
        roles = [labels[r] for r, granting in role_groups.items() if groups & set(granting)]
        memberships = (user.get("projects") or {}).items()
        projects = ", ".join(f"{slug} ({role})" for slug, role in memberships)
        rows.append((user["uid"], ", ".join(roles) or "data scientist", projects or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\npassword for everyone: {document.get('password', 'demo')}"


def children() -> list[Child]:
    return [
        Child("idp", [PYTHON, "-m", "portal.devidp", "serve", "--port", str(IDP_PORT),
                      "--portal-url", PORTAL_URL, "--users", str(USERS_FILE.relative_to(ROOT)),
                      "--state-dir", str(IDP_STATE.relative_to(ROOT))],
              stop_signal=signal.SIGINT),
        Child("web", [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORTAL_PORT}",
                      "--config", "python:config.gunicorn_conf", "--workers", "2",
                      "--threads", "2"]),
        Child("worker", [str(BIN / "celery"), "-A", "config", "worker", "-l", "info",
                         "--concurrency", "2"]),
        Child("beat", [str(BIN / "celery"), "-A", "config", "beat", "-l", "info",
                       "--schedule", str(VAR / "celerybeat-schedule")]),
        # The events consumer (EventBridge → SQS → status), a process of its own: a long poll
        # would hold a worker slot for 20 s at a time.
        Child("events", [PYTHON, "manage.py", "consume_events"]),
    ]


def main() -> int:
    env = demo_environment()
    for port in (PORTAL_PORT, IDP_PORT):
        if port_open(port):
            say(f"port {port} is already in use: stop whatever listens there and try again")
            return 1
    try:
        # The IdP's certificate may not exist yet; migrations and the seed do not need SSO.
        prepare({**env, "PORTAL_SAML_IDP_ENTITY_ID": ""})
    except DemoFailed as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130

    supervisor = Supervisor(env)

    def request_stop(signum: int, frame: object) -> None:
        supervisor.stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    idp, *portal_processes = children()
    code = 0
    try:
        supervisor.start(idp)
        supervisor.wait_for("the dev IdP's certificate", certificate_written)
        supervisor.wait_for(f"the dev IdP on port {IDP_PORT}", lambda: port_open(IDP_PORT))
        for child in portal_processes:
            supervisor.start(child)
        supervisor.wait_for(f"{PORTAL_URL}/healthz", portal_healthy)

        os.environ.update(env)
        import django

        django.setup()
        print(f"\nThe portal is running at {PORTAL_URL}  (dev IdP at {IDP_URL})\n"
              f"Sign in with SSO as one of these demo users:\n\n{users_table()}\n\n"
              "Press Ctrl-C to stop everything.\n", flush=True)

        while not supervisor.stopping.wait(0.5):
            dead = supervisor.dead_child()
            if dead is not None:
                say(f"{dead.name} exited with code {dead.exit_code()}; stopping the others")
                code = 1
                break
        else:
            say("stopping")
    except DemoFailed as exc:
        say(f"{exc}; stopping the others")
        code = 1
    except KeyboardInterrupt:
        say("stopping")
    finally:
        supervisor.stop_all()
    return code


if __name__ == "__main__":
    sys.exit(main())

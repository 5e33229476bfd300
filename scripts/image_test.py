"""`make image-test`: the production image, built and run with podman, proven by one journey.

1. The base (scripts/image-base.sh: debootstrap, cached by a hash of its inputs) and
   docker/Dockerfile, built with podman (``--format docker`` keeps the HEALTHCHECK).
2. migrate, then web, worker and beat containers on the host network against this machine's
   PostgreSQL (database ``imagetest``, recreated, owned by the role ``imagetest_owner`` that
   migrate connects as; web, worker and beat connect as ``imagetest_app``, granted by
   ``manage.py db_roles``) and Redis (db 9, flushed); every health check passes;
   GUNICORN_CMD_ARGS sets the web's workers and threads; the dev IdP is not in the image.
3. Demo people, catalog and policies via ``manage.py`` in the web container, then one request ->
   approval -> provisioning -> launch through the REST API with API tokens
   (scripts/image_journey.py).
4. docker/docker-compose.yml brought up by Debian's docker-compose through ``podman system
   service``, until every service is healthy.

Everything started is removed at the end, also on failure or Ctrl-C; the images stay (cache).
Needs root (podman as root on these machines); installs podman and friends when missing.
Environment: IMAGE_TEST_AWS_MODE (PORTAL_AWS_MODE of the containers, default fake),
IMAGE_TEST_WEB_PORT / IMAGE_TEST_COMPOSE_PORT (default 18931 / 18932), IMAGE_BASE_REBUILD=1.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from image_journey import JourneyFailed, Portal, journey_run  # noqa: E402
from image_tools import (  # noqa: E402
    STARTED,
    ImageTestFailed,
    Stack,
    container_logs,
    healthy,
    run,
    say,
    timed,
    wait_until,
)

IMAGE = "localhost/ml-portal:latest"  # compose's `image: ml-portal:latest`, as podman names it
STANDINS = {"postgres": "localhost/ml-portal-it-postgres:15",
            "redis": "localhost/ml-portal-it-redis:7"}
PREFIX = "ml-portal-it"
HOST = "portal-it.bank.example"
DATABASE = "imagetest"
OWNER_ROLE, APP_ROLE = "imagetest_owner", "imagetest_app"  # trust authentication on 127.0.0.1
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qtA"]
REDIS_DB = 9
WEB_WORKERS, WEB_THREADS = 2, 3  # deliberately not the image's default (3 workers, 4 threads)


def gunicorn_config(env_file: Path, *extra: str) -> dict[str, str]:
    """The settings gunicorn resolves from the image's CMD (plus --print-config) and env_file."""
    cmd = run("podman", "image", "inspect", "--format", "{{json .Config.Cmd}}", IMAGE).stdout
    import json

    words = [*json.loads(cmd), "--print-config"]
    printed = run("podman", "run", "--rm", "--network", "none", "--env-file", str(env_file),
                  *extra, IMAGE, *words).stdout
    return dict(re.findall(r"^(\w+)\s+= (.*)$", printed, re.MULTILINE))


def database_drop() -> None:
    """The database, then its two roles (cluster-wide: they outlive a database)."""
    run(*PG_ADMIN, "-c", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    for role in (APP_ROLE, OWNER_ROLE):
        run(*PG_ADMIN, "-c", f"DROP ROLE IF EXISTS {role}")


def database_recreate() -> None:
    database_drop()
    for role in (OWNER_ROLE, APP_ROLE):
        run(*PG_ADMIN, "-c", f"CREATE ROLE {role} LOGIN")
    run(*PG_ADMIN, "-c", f"CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}")


def database_url(role: str) -> str:
    return f"postgres://{role}@127.0.0.1:5432/{DATABASE}"


def build(timings: dict[str, float]) -> None:
    timed("base image (debootstrap, skipped when cached)", timings,
          lambda: run("scripts/image-base.sh", quiet=True))
    # This machine's CA bundle, for pip behind the build network's TLS-inspecting proxy (a
    # secret mount: it never lands in a layer). See docker/Dockerfile.
    bundle = Path(os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt")
    secret = ["--secret", f"id=build-ca,src={bundle}"] if bundle.is_file() else []
    timed("portal image (podman build)", timings,
          lambda: run("podman", "build", "--format", "docker", *secret, "-f", "docker/Dockerfile",
                      "-t", IMAGE, ".", timeout=900))


def containers(stack: Stack, env_file: Path, port: int, timings: dict[str, float]) -> Portal:
    """migrate, web, worker and beat from the image; returns the healthy web's address."""
    common = ["--network", "host", "--env-file", str(env_file)]
    # As compose does: migrations as the owner role, then the app role's grants.
    timed("migrate", timings, lambda: run(
        "podman", "run", "--rm", "--name", f"{PREFIX}-migrate", *common,
        "-e", f"DATABASE_URL={database_url(OWNER_ROLE)}", IMAGE, "sh", "-c",
        f"python manage.py migrate --noinput && python manage.py db_roles --app-role {APP_ROLE}",
        timeout=300))
    commands = {
        # The image's own CMD and HEALTHCHECK; workers and threads only through the variable.
        "web": ["-e", f"GUNICORN_CMD_ARGS=--workers {WEB_WORKERS} --threads {WEB_THREADS}",
                IMAGE],
        "worker": ["--health-cmd", '["python", "scripts/healthcheck.py", "worker"]',
                   IMAGE, "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "2"],
        "beat": ["--health-cmd", '["python", "scripts/healthcheck.py", "beat"]',
                 IMAGE, "celery", "-A", "config", "beat", "-l", "info",
                 "--schedule", "/var/lib/portal/celerybeat-schedule"],
    }
    names = [f"{PREFIX}-{service}" for service in commands]
    for service, args in commands.items():
        name = f"{PREFIX}-{service}"
        run("podman", "rm", "--force", "--ignore", name, quiet=True)
        stack.on_close(name, partial(run, "podman", "rm", "--force", "--ignore", "--time", "5",
                                     name, quiet=True))
        # The worker's ping check addresses celery@<hostname>: give each a hostname of its own.
        run("podman", "run", "--detach", "--name", name, "--hostname", name, *common, *args)
    def logs_on_failure() -> None:
        if stack.failed:
            container_logs(names)

    stack.on_close("logs on failure", logs_on_failure)

    def all_healthy() -> None:
        for name in names:
            wait_until(f"{name} to be healthy", partial(healthy, name), timeout=120)
            say(f"{name}: healthy")

    timed("web, worker and beat healthy", timings, all_healthy)
    return Portal(base_url=f"http://127.0.0.1:{port}", host=HOST)


def image_checks(env_file: Path) -> None:
    """GUNICORN_CMD_ARGS is obeyed; the dev IdP and its dependencies are not in the image."""
    processes = run("podman", "top", f"{PREFIX}-web", "pid", "ppid", "args").stdout.splitlines()
    gunicorns = [line for line in processes if "gunicorn" in line]
    master_pids = {line.split()[0] for line in gunicorns} & {line.split()[1] for line in gunicorns}
    workers = [line for line in gunicorns if line.split()[1] in master_pids]
    if len(workers) != WEB_WORKERS:
        raise ImageTestFailed(f"GUNICORN_CMD_ARGS asked for {WEB_WORKERS} workers, the web runs "
                              f"{len(workers)}:\n" + "\n".join(processes))
    override = gunicorn_config(env_file, "-e",
                               f"GUNICORN_CMD_ARGS=--workers {WEB_WORKERS} --threads {WEB_THREADS}")
    default = gunicorn_config(env_file)
    if (override.get("workers"), override.get("threads")) != (str(WEB_WORKERS), str(WEB_THREADS)):
        raise ImageTestFailed(f"GUNICORN_CMD_ARGS ignored: workers/threads {override}")
    if (default.get("workers"), default.get("threads")) != ("3", "4"):
        raise ImageTestFailed(f"image defaults are not 3 workers x 4 threads: {default}")
    say(f"gunicorn: {len(workers)} workers running; GUNICORN_CMD_ARGS resolves to "
        f"{override['workers']}x{override['threads']}, the image default to "
        f"{default['workers']}x{default['threads']}")
    probe = ("import importlib.util as u, shutil; "
             "print([m for m in ('portal.devidp', 'saml2') if u.find_spec(m)], "
             "shutil.which('xmlsec1'), bool(u.find_spec('onelogin.saml2')), "
             "bool(u.find_spec('xmlsec')))")
    found = run("podman", "exec", f"{PREFIX}-web", "python", "-c", probe).stdout.strip()
    if found != "[] None True True":
        raise ImageTestFailed(f"dev IdP parts in the image or SAML SP parts missing: {found}")
    refused = run("podman", "exec", f"{PREFIX}-web", "python", "-c", "import portal.devidp",
                  check=False, quiet=True)
    if refused.returncode == 0 or "ModuleNotFoundError" not in refused.stderr:
        raise ImageTestFailed(f"importing portal.devidp did not fail: {refused.stderr[-300:]}")
    say("image: no portal.devidp, no pysaml2, no xmlsec1; python3-saml and xmlsec present")


def database_roles_check() -> None:
    """What the containers connect as cannot rewrite the audit trail; the journey's is intact."""
    as_app = ["psql", "-h", "127.0.0.1", "-U", APP_ROLE, "-d", DATABASE, "-qtA", "-c"]
    for statement in ("TRUNCATE portal_auditevent",
                      "ALTER TABLE portal_auditevent DISABLE TRIGGER USER",
                      "UPDATE portal_auditevent SET action = 'forged'"):
        refused = run(*as_app, statement, check=False, quiet=True)
        # "permission denied for table" (a missing privilege), "must be owner of table" (ALTER)
        if refused.returncode == 0 or not re.search(r"permission denied|must be owner",
                                                     refused.stderr):
            raise ImageTestFailed(f"the app role was not refused {statement!r}: "
                                  f"{refused.stderr[-300:]}")
    verified = run("podman", "exec", f"{PREFIX}-web", "python", "manage.py", "audit_verify")
    say(f"database roles: {APP_ROLE} refused truncate, disable trigger and update on the audit "
        f"trail; {verified.stdout.strip()[:60]}...")


def api_tokens(*usernames: str) -> dict[str, str]:
    tokens = {}
    for username in usernames:
        out = run("podman", "exec", f"{PREFIX}-web", "python", "manage.py", "api_token",
                  username).stdout
        match = re.search(r"Generated token (\S+) for user", out)
        if not match:
            raise ImageTestFailed(f"no API token for {username}")
        tokens[username] = match.group(1)
    return tokens


def journey(portal: Portal, timings: dict[str, float]) -> None:
    web = f"{PREFIX}-web"
    run("podman", "cp", str(ROOT / "portal" / "devidp" / "demo_users.yaml"),
        f"{web}:/tmp/demo_users.yaml")
    for command in (["seed_demo", "--users", "/tmp/demo_users.yaml"],
                    ["sync_catalog", "--quiet-products"], ["seed_demo_catalog"],
                    ["seed_demo_policies"]):
        run("podman", "exec", "-e", "PORTAL_CATALOG_PUBLISH_NEW=true", web,
            "python", "manage.py", *command)
    # The AWS owner tag's value comes from the SAML sign-in, which the API journey skips: fill it
    # in for the requester with the portal's own rule, as that sign-in would.
    run("podman", "exec", web, "python", "manage.py", "shell", "-c",
        "from portal.models import User; from portal.services import owner_id_for; "
        "u = User.objects.get(username='dana.scientist'); "
        "u.owner_id = owner_id_for(user=u, attributes={}); u.save(update_fields=['owner_id'])")
    say("demo people, catalog and approval policies seeded")
    tokens = api_tokens("dana.scientist", "maria.manager")
    result: dict[str, object] = {}
    timed("request -> approval -> provisioning -> launch", timings, lambda: result.update(
        journey_run(portal=portal, requester_token=tokens["dana.scientist"],
                    approver_token=tokens["maria.manager"], project="fraud-detection",
                    profile_name=f"dana-it-{secrets.token_hex(3)}", say=say)))
    say(f"journey: statuses {' -> '.join(map(str, result['statuses']))}")  # type: ignore[call-overload]


def compose(stack: Stack, workdir: Path, port: int, timings: dict[str, float]) -> None:
    """docker/docker-compose.yml up through `podman system service`, until all are healthy."""
    for service, tag in STANDINS.items():
        run("podman", "build", "--format", "docker", "-f",
            f"docker/image-test/{service}.Dockerfile", "-t", tag, ".", timeout=600)
    socket = workdir / "podman.sock"
    api = subprocess.Popen(["podman", "system", "service", "--time", "0", f"unix://{socket}"],
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def api_stop() -> None:
        api.terminate()
        api.wait(10)

    stack.on_close("podman system service", api_stop)
    wait_until("the podman API socket", socket.exists, timeout=30, every=0.5)
    env = {"DOCKER_HOST": f"unix://{socket}", "COMPOSE_PROJECT_NAME": PREFIX,
           "SECRET_KEY": secrets.token_urlsafe(50),
           "PORTAL_PARAMETER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
           "ALLOWED_HOSTS": HOST,
           "POSTGRES_PASSWORD": secrets.token_urlsafe(24), "PORTAL_BASE_URL": f"https://{HOST}",
           "PORTAL_DB_OWNER_PASSWORD": secrets.token_urlsafe(24),
           "PORTAL_DB_APP_PASSWORD": secrets.token_urlsafe(24),
           "PORTAL_HTTP_PORT": str(port),
           "PORTAL_AWS_MODE": os.environ.get("IMAGE_TEST_AWS_MODE", "fake"),
           "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
           "EMAIL_HOST": "smtp.invalid"}  # required by the compose file; console mail uses none
    files = ["-f", "docker/docker-compose.yml", "-f", "docker/image-test/compose.override.yml"]
    stack.on_close("compose project", lambda: run("docker-compose", *files, "down", "--volumes",
                                                  "--timeout", "5", env=env, quiet=True))
    up = subprocess.Popen(["docker-compose", *files, "up", "--detach", "--no-build"], cwd=ROOT,
                          env={**os.environ, **env}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    stack.on_close("docker-compose up", lambda: up.kill() if up.poll() is None else None)
    services = ["postgres", "redis", "web", "worker", "beat"]

    def project_healthy() -> bool:
        # compose waits on service_healthy; podman has no timer here to run the checks, so the
        # test runs them, as the engine's scheduler would.
        project = ["--filter", f"label=com.docker.compose.project={PREFIX}", "--format",
                   "{{.Names}}"]
        running = run("podman", "ps", "--filter", "status=running", *project,
                      quiet=True).stdout.split()
        checked = {name: healthy(name) for name in running if "migrate" not in name}
        if up.poll() not in (None, 0):
            output = up.stdout.read() if up.stdout else ""
            raise ImageTestFailed(f"docker-compose up failed:\n{output}")
        up_services = {s for s in services for name, ok in checked.items()
                       if ok and re.search(rf"[_-]{s}[_-]\d+$", name)}
        return up.poll() == 0 and up_services == set(services)

    timed("compose: every service healthy", timings,
          lambda: wait_until("the compose services", project_healthy, timeout=300, every=3))
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": HOST})
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.read().strip() != b"ok":
            raise ImageTestFailed("compose web: /healthz did not answer ok")
    say("compose: web answers /healthz on the published port")


def write_env_file(workdir: Path, port: int) -> Path:
    """The containers' environment, in a file only root reads (the secret key is in it)."""
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_PARAMETER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url(APP_ROLE),  # migrate alone overrides it with the owner
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "PORTAL_BASE_URL": f"https://{HOST}",
        "PORTAL_AWS_MODE": os.environ.get("IMAGE_TEST_AWS_MODE", "fake"),
        "PORTAL_SIMULATOR_SECONDS": "2", "PORTAL_FOLLOW_FIRST_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        # Host network: gunicorn binds 0.0.0.0:$PORT (its default when PORT is set), and the
        # web health check follows it.
        "PORT": str(port), "PORTAL_HEALTHCHECK_URL": f"http://127.0.0.1:{port}/healthz",
    }
    path = workdir / "portal.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    path.chmod(0o600)
    return path


def main() -> int:
    if os.geteuid() != 0:
        print("make image-test runs podman as root: run it as root (CI does)", file=sys.stderr)
        return 2
    subprocess.run(["scripts/system-deps.sh", "image-test"], cwd=ROOT, check=True)
    os.environ["CONTAINERS_CONF"] = str(ROOT / "docker" / "podman" / "containers.conf")
    web_port = int(os.environ.get("IMAGE_TEST_WEB_PORT", "18931"))
    compose_port = int(os.environ.get("IMAGE_TEST_COMPOSE_PORT", "18932"))
    # A TERM (CI cancelling) unwinds like Ctrl-C, so the finally below still cleans up.
    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    timings: dict[str, float] = {}
    stack = Stack()
    workdir = Path(tempfile.mkdtemp(prefix="ml-portal-image-test-"))
    stack.on_close("work directory", lambda: shutil.rmtree(workdir, ignore_errors=True))
    try:
        build(timings)
        database_recreate()
        stack.on_close("database and its roles", database_drop)
        run("redis-cli", "-n", str(REDIS_DB), "flushdb")
        stack.on_close("redis db", lambda: run("redis-cli", "-n", str(REDIS_DB), "flushdb"))
        env_file = write_env_file(workdir, web_port)
        portal = containers(stack, env_file, web_port, timings)
        image_checks(env_file)
        journey(portal, timings)
        database_roles_check()
        # Free the machine's two cores for the compose stack (cleanup would remove them anyway).
        run("podman", "rm", "--force", "--time", "5", *(f"{PREFIX}-{s}" for s in
                                                         ("web", "worker", "beat")), quiet=True)
        compose(stack, workdir, compose_port, timings)
    except (ImageTestFailed, JourneyFailed, subprocess.TimeoutExpired) as failure:
        say(f"FAILED: {failure}")
        stack.failed = True
        stack.close()
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        stack.close()
        return 130
    stack.close()
    total = time.monotonic() - STARTED
    say("PASSED in {:.0f} s: {}".format(
        total, ", ".join(f"{label} {seconds:.0f} s" for label, seconds in timings.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docker/: the compose file is valid; the image installs what `make demo` does, minus the demo.

The compose file is checked with `docker-compose config` (Debian's docker-compose, installed by
`make test`), and the Dockerfile is compared with the Makefile so that the two install paths cannot
drift apart: `make demo` installs `.[demo]` and the `demo` Debian packages, the image `.` and the
`runtime` ones, without the dev IdP. `make image-test` (scripts/image_test.py) builds and runs the
image itself.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker" / "docker-compose.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
MAKEFILE = ROOT / "Makefile"
REQUIRED = {
    "SECRET_KEY": "s" * 60,
    "ALLOWED_HOSTS": "portal.bank.example",
    "POSTGRES_PASSWORD": "compose-test-password",
    "PORTAL_DB_OWNER_PASSWORD": "owner-test-password",
    "PORTAL_DB_APP_PASSWORD": "app-test-password",
    "PORTAL_BASE_URL": "https://portal.bank.example",
    "EMAIL_HOST": "smtp.bank.example",
}
SERVICES = {"web", "worker", "beat", "postgres", "redis"}
PORTAL_SERVICES = {"web", "worker", "beat"}


def compose_config(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    environment.update(env)
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    result = compose_config(**REQUIRED)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_compose_file_has_the_five_services_each_with_a_health_check(compose: dict) -> None:
    services = compose["services"]
    assert SERVICES <= set(services)
    for name in SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name


@pytest.mark.parametrize("variable", sorted(REQUIRED))
def test_the_compose_file_refuses_to_run_without_a_required_variable(variable: str) -> None:
    env = {k: v for k, v in REQUIRED.items() if k != variable}

    result = compose_config(**env)

    assert result.returncode != 0
    assert f"set {variable}" in result.stderr


def test_portal_services_get_the_database_broker_and_secrets(compose: dict) -> None:
    for name in PORTAL_SERVICES | {"migrate"}:
        env = compose["services"][name]["environment"]
        role = "portal_owner:owner" if name == "migrate" else "portal_app:app"
        assert env["DATABASE_URL"] == (
            f"postgres://{role}-test-password@postgres:5432/portal"
        ), name
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0", name
        assert env["SECRET_KEY"] == REQUIRED["SECRET_KEY"], name
        assert env["ALLOWED_HOSTS"] == "portal.bank.example", name
        assert "DEBUG" not in env, name  # production: DEBUG off


def test_the_portal_starts_after_migrations_on_a_healthy_database(compose: dict) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == [
        "sh", "-c",
        "python manage.py migrate --noinput && python manage.py db_roles --app-role portal_app",
    ]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in PORTAL_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_worker_and_beat_run_celery_from_the_portal_image(compose: dict) -> None:
    services = compose["services"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert {services[name]["image"] for name in PORTAL_SERVICES | {"migrate"}} == {
        "ml-portal:latest"
    }


def dockerfile_runs() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line.strip()[4:] for line in text.splitlines() if line.strip().startswith("RUN ")]


def pip_install_args(command: str) -> list[str]:
    """The arguments of `pip install` in a shell command, minus -e (the demo's editable mode)."""
    words = shlex.split(command.replace("$(PY) -m ", ""))
    start = words.index("install") + 1
    args = words[start:words.index("&&", start)] if "&&" in words[start:] else words[start:]
    return [a for a in args if a != "-e"]


def makefile_recipe(target: str) -> list[str]:
    text = MAKEFILE.read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, f"no recipe for {target} in the Makefile"
    return [line.strip() for line in match.group(1).splitlines()]


def system_deps_profiles() -> dict[str, set[str]]:
    """The Debian packages of each profile of scripts/system-deps.sh, read from its case."""
    text = (ROOT / "scripts" / "system-deps.sh").read_text()
    base = set(re.findall(r"\]=(\S+?)\)", re.search(r"declare -A wanted=\((.*)\)", text)[0]))
    profiles = {}
    for name, body in re.findall(r"^  ([\w-]+)\)(.*?);;", text, re.MULTILINE | re.DOTALL):
        profiles[name] = base | set(re.findall(r"wanted\[[^]]+\]=([\w.-]+)", body))
    return profiles


def test_the_image_installs_debian_packages_with_the_makefiles_script_minus_the_demo() -> None:
    demo_deps = " ".join(makefile_recipe("system-deps-demo"))
    assert "scripts/system-deps.sh demo" in demo_deps
    assert "system-deps-demo" in MAKEFILE.read_text().split("\ndemo:")[1].splitlines()[0]
    assert any(run.startswith("PYTHON=python3 scripts/system-deps.sh runtime")
               for run in dockerfile_runs())
    profiles = system_deps_profiles()
    assert profiles["runtime"] == {"python3"}
    # The demo is the image plus the dev IdP's xmlsec1; the tests need the demo.
    assert profiles["demo"] == profiles["runtime"] | {"xmlsec1"}
    assert profiles["demo"] <= profiles["test"]


def test_the_image_installs_python_packages_with_the_makefiles_constraints_minus_the_demo() -> None:
    (make_install,) = [
        line for line in makefile_recipe("$(VENV)/.installed-demo") if "pip install" in line
    ]
    image_installs = [pip_install_args(run) for run in dockerfile_runs() if "pip install" in run]

    assert pip_install_args(make_install) == ["-c", "constraints.txt", ".[demo]"]
    # The image: the runtime dependencies (read from pyproject.toml), then the project alone.
    assert image_installs == [["-c", "constraints.txt", "-r", "/tmp/requirements.txt"],
                              ["--no-deps", "-c", "constraints.txt", "."]]
    assert 'tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]' in " ".join(
        dockerfile_runs())


def test_the_dev_idp_and_its_pysaml2_are_demo_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[\[<>=]", line)[0] for line in project["dependencies"]}
    assert "pysaml2" not in names
    assert [line.split(">")[0] for line in project["optional-dependencies"]["demo"]] == ["pysaml2"]
    assert set(project["optional-dependencies"]["demo"]) <= set(
        project["optional-dependencies"]["dev"])
    # The source stage drops the dev IdP before anything reaches the image's own layers.
    assert re.search(r"^RUN rm -rf portal/devidp scripts/demo\.py", DOCKERFILE.read_text(),
                     re.MULTILINE)


def test_the_image_carries_every_package_of_the_project() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [pattern.rstrip("*") for pattern in include]
    copies = DOCKERFILE.read_text()
    for directory in [*packages, "templates", "static", "scripts", "manage.py"]:
        assert f"COPY {directory} {directory}" in copies, directory
        assert f"COPY --from=source /src/{directory} {directory}" in copies, directory


def test_the_image_uses_the_python_the_project_requires_and_a_non_root_user() -> None:
    text = DOCKERFILE.read_text()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert ">=3.11" in requires and "<3.12" in requires
    # bookworm's python3 is 3.11; scripts/image-base.sh builds the default base from bookworm.
    assert re.search(r"^ARG BASE_IMAGE=localhost/ml-portal-base:bookworm$", text, re.MULTILINE)
    assert 'tag="${1:-localhost/ml-portal-base:bookworm}"' in (
        ROOT / "scripts" / "image-base.sh").read_text()
    assert re.findall(r"^FROM (.*)$", text, re.MULTILINE) == ["${BASE_IMAGE} AS source",
                                                              "${BASE_IMAGE}"]
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r'^HEALTHCHECK .*\\\n\s+CMD \["python", "scripts/healthcheck.py", "web"\]',
                     text, re.MULTILINE)
    assert "collectstatic" in " ".join(dockerfile_runs())


def test_workers_and_threads_are_left_to_gunicorn_cmd_args() -> None:
    """gunicorn: command line > GUNICORN_CMD_ARGS > config file, so the CMD must not set them.

    The image test shows the effect on a running container (2 workers from the variable).
    """
    text = DOCKERFILE.read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.MULTILINE)
    words = json.loads(cmd)
    assert words[0] == "gunicorn"
    assert not {"--workers", "-w", "--threads", "--bind", "-b"} & {w.split("=")[0] for w in words}
    assert 'GUNICORN_CMD_ARGS="--workers 3 --threads 4"' in text
    assert re.search(r"^\s+PORT=8000 \\$", text, re.MULTILINE)  # gunicorn binds 0.0.0.0:$PORT


def test_the_database_superuser_is_left_to_the_database_container(compose: dict) -> None:
    """The portal connects as its two roles, which the init script creates; not as postgres."""
    services = compose["services"]
    database = services["postgres"]
    assert database["environment"]["POSTGRES_USER"] == "postgres"
    assert {"PORTAL_DB_OWNER_PASSWORD", "PORTAL_DB_APP_PASSWORD"} <= set(database["environment"])
    # Debian's docker-compose prints the short form, source:target:mode, source made absolute.
    mounts = [volume.split(":") for volume in database["volumes"]]
    source = next(m[0] for m in mounts if m[1] == "/docker-entrypoint-initdb.d")
    script = (Path(source) / "10-portal-roles.sh").read_text()
    assert "CREATE ROLE portal_owner LOGIN" in script
    assert "CREATE ROLE portal_app LOGIN" in script
    for name in PORTAL_SERVICES | {"migrate"}:
        url = services[name]["environment"]["DATABASE_URL"]
        assert "compose-test-password" not in url and "//postgres:" not in url, name

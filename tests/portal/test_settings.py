"""Configuration from the environment, each case in a fresh process with a controlled environment.

The settings module raises at import, so these run ``python -c`` or ``manage.py`` in a subprocess
with only the variables the case needs (nothing leaks in from CI's DATABASE_URL and friends).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "k" * 30 + "-production-like-secret-for-tests"
PARAMETER_KEY = "cHJvZHVjdGlvbi1saWtlLXBhcmFtZXRlci1rZXktMzI="  # 32 bytes, url-safe base64


def run(code_or_args: str | list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run Python (a -c snippet, or manage.py arguments) with config.settings and ``env`` only."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    if isinstance(code_or_args, str):
        args = [sys.executable, "-c", code_or_args]
    else:
        args = [sys.executable, "manage.py", *code_or_args]
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


SETTINGS_AS_JSON = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "db": {k: settings.DATABASES["default"][k] for k in ("ENGINE", "NAME", "HOST", "PORT", "USER")},
    "broker": settings.CELERY_BROKER_URL,
    "broker_options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}, default=str))
"""


def settings_for(tmp_path: Path, **env: str) -> dict:
    result = run(SETTINGS_AS_JSON, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_it_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path: Path) -> None:
    result = run("import django; django.setup()", tmp_path, ALLOWED_HOSTS="portal.example")

    assert result.returncode != 0
    assert last_line(result) == (
        "django.core.exceptions.ImproperlyConfigured: "
        "SECRET_KEY must be set when DEBUG is off (a long random string)"
    )


def test_it_refuses_to_start_without_allowed_hosts_when_debug_is_off(tmp_path: Path) -> None:
    result = run("import django; django.setup()", tmp_path, SECRET_KEY=PRODUCTION_KEY)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in last_line(result)


def test_it_refuses_a_short_secret_key(tmp_path: Path) -> None:
    result = run("import django; django.setup()", tmp_path, SECRET_KEY="short",
                 ALLOWED_HOSTS="portal.example")

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters long" in last_line(result)


def test_manage_py_names_the_missing_variable_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    result = run(["check"], tmp_path)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "manage.py: SECRET_KEY must be set when DEBUG is off (a long random string). For "
        "development run it with DEBUG=true (or `make manage ARGS=...`); see the README's "
        "configuration table."
    ]


def test_manage_py_runs_with_debug_alone(tmp_path: Path) -> None:
    result = run(["check"], tmp_path, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_pass_check_deploy_without_warnings(tmp_path: Path) -> None:
    result = run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path,
                 SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="portal.bank.example",
                 PORTAL_PARAMETER_KEY=PARAMETER_KEY)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_without_a_parameter_key_fails_check_deploy_and_migrate(
        tmp_path: Path) -> None:
    env = {"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "portal.bank.example"}
    for command in (["check", "--deploy"], ["migrate", "--plan"]):
        result = run(command, tmp_path, **env)
        assert result.returncode != 0
        assert "portal.E001" in result.stderr
        assert "PORTAL_PARAMETER_KEY must be set when DEBUG is off" in result.stderr


def test_a_parameter_key_that_is_no_fernet_key_is_refused_at_start_up(tmp_path: Path) -> None:
    result = run("import django; django.setup()", tmp_path, SECRET_KEY=PRODUCTION_KEY,
                 ALLOWED_HOSTS="x", PORTAL_PARAMETER_KEY="not-a-key")

    assert result.returncode != 0
    assert "PORTAL_PARAMETER_KEY must be Fernet keys" in last_line(result)


def test_plain_http_demo_mode_relaxes_https_settings_and_check_deploy_says_so(
    tmp_path: Path,
) -> None:
    env = {"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "localhost",
           "PORTAL_PLAIN_HTTP": "true"}

    relaxed = settings_for(tmp_path, **env)
    result = run(["check", "--deploy"], tmp_path, **env)

    assert relaxed["ssl_redirect"] is False and relaxed["session_cookie_secure"] is False
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_debug_defaults_to_off(tmp_path: Path) -> None:
    assert settings_for(tmp_path, SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="x")["DEBUG"] is False


def test_debug_on_runs_without_secret_key_or_allowed_hosts(tmp_path: Path) -> None:
    assert settings_for(tmp_path, DEBUG="true")["DEBUG"] is True


@pytest.mark.parametrize(("variable", "value"), [("DEBUG", "maybe"), ("PORTAL_PLAIN_HTTP", "2")])
def test_a_bad_boolean_names_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    env = {"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "x", variable: value}

    result = run("import django; django.setup()", tmp_path, **env)

    assert result.returncode != 0
    assert f"{variable} must be true or false, got '{value}'" in last_line(result)


def test_a_bad_number_names_the_variable(tmp_path: Path) -> None:
    result = run("import django; django.setup()", tmp_path, DEBUG="true",
                 PORTAL_SESSION_SECONDS="eight hours")

    assert result.returncode != 0
    assert "PORTAL_SESSION_SECONDS must be a whole number, got 'eight hours'" in last_line(result)


def test_an_unknown_role_in_role_groups_is_refused(tmp_path: Path) -> None:
    result = run("import django; django.setup()", tmp_path, DEBUG="true",
                 PORTAL_ROLE_GROUPS="superuser=everyone")

    assert result.returncode != 0
    assert "PORTAL_ROLE_GROUPS names unknown roles ['superuser']" in last_line(result)


def test_the_database_defaults_to_sqlite_under_var(tmp_path: Path) -> None:
    db = settings_for(tmp_path, DEBUG="true")["db"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var" / "portal.sqlite3")


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    db = settings_for(tmp_path, DEBUG="true",
                      DATABASE_URL="postgres://portal@db.internal:5433/portal")["db"]

    assert db == {"ENGINE": "django.db.backends.postgresql", "NAME": "portal",
                  "HOST": "db.internal", "PORT": 5433, "USER": "portal"}


def test_the_broker_defaults_to_the_filesystem_transport_under_var(tmp_path: Path) -> None:
    config = settings_for(tmp_path, DEBUG="true")

    queue = tmp_path / "var" / "celery-broker" / "queue"
    assert config["broker"] == "filesystem://"
    assert config["broker_options"]["data_folder_in"] == str(queue)
    assert config["broker_options"]["data_folder_out"] == str(queue)
    assert queue.is_dir() and (tmp_path / "var" / "celery-broker" / "processed").is_dir()


def test_celery_broker_url_selects_redis(tmp_path: Path) -> None:
    config = settings_for(tmp_path, DEBUG="true", CELERY_BROKER_URL="redis://cache:6379/0")

    assert config["broker"] == "redis://cache:6379/0"
    assert "data_folder_in" not in config["broker_options"]
    assert not (tmp_path / "var" / "celery-broker").exists()

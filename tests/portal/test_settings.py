"""Configuration from the environment, each case with a controlled environment.

The settings module raises at import. The cases about ``manage.py`` run it in a subprocess with
only the variables the case needs (nothing leaks in from CI's DATABASE_URL and friends); the
others import ``config.settings`` afresh in this process with the same environment only
(tests/settings_env.py and the ``settings_for`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.settings_env import environment_of, refusal

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "k" * 30 + "-production-like-secret-for-tests"
PARAMETER_KEY = "cHJvZHVjdGlvbi1saWtlLXBhcmFtZXRlci1rZXktMzI="  # 32 bytes, url-safe base64


def run(code_or_args: str | list[str], tmp_path: Path,
        **env: str) -> subprocess.CompletedProcess[str]:
    """Run Python (a -c snippet, or manage.py arguments) with config.settings and ``env`` only
    (the settings tests of other apps pass snippets that call django.setup())."""
    if isinstance(code_or_args, str):
        args = [sys.executable, "-c", code_or_args]
    else:
        args = [sys.executable, "manage.py", *code_or_args]
    return subprocess.run(args, cwd=ROOT, env=environment_of(tmp_path, **env),
                          capture_output=True, text=True, timeout=120)


def test_it_refuses_to_start_without_secret_key_when_debug_is_off(settings_for: Any) -> None:
    assert refusal(settings_for, ALLOWED_HOSTS="portal.example") == (
        "SECRET_KEY must be set when DEBUG is off (a long random string)"
    )


def test_it_refuses_to_start_without_allowed_hosts_when_debug_is_off(settings_for: Any) -> None:
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in refusal(settings_for,
                                                                   SECRET_KEY=PRODUCTION_KEY)


def test_it_refuses_a_short_secret_key(settings_for: Any) -> None:
    assert "SECRET_KEY must be at least 50 characters long" in refusal(
        settings_for, SECRET_KEY="short", ALLOWED_HOSTS="portal.example")


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


def test_a_parameter_key_that_is_no_fernet_key_is_refused_at_start_up(settings_for: Any) -> None:
    assert "PORTAL_PARAMETER_KEY must be Fernet keys" in refusal(
        settings_for, SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="x",
        PORTAL_PARAMETER_KEY="not-a-key")


def test_plain_http_demo_mode_relaxes_https_settings_and_check_deploy_says_so(
    tmp_path: Path, settings_for: Any,
) -> None:
    env = {"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "localhost",
           "PORTAL_PLAIN_HTTP": "true"}

    relaxed = settings_for(**env)
    result = run(["check", "--deploy"], tmp_path, **env)

    assert relaxed["SECURE_SSL_REDIRECT"] is False and relaxed["SESSION_COOKIE_SECURE"] is False
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_debug_defaults_to_off(settings_for: Any) -> None:
    assert settings_for(SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="x")["DEBUG"] is False


def test_debug_on_runs_without_secret_key_or_allowed_hosts(settings_for: Any) -> None:
    assert settings_for(DEBUG="true")["DEBUG"] is True


@pytest.mark.parametrize(("variable", "value"), [("DEBUG", "maybe"), ("PORTAL_PLAIN_HTTP", "2")])
def test_a_bad_boolean_names_the_variable(settings_for: Any, variable: str, value: str) -> None:
    env = {"SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "x", variable: value}

    assert f"{variable} must be true or false, got '{value}'" in refusal(settings_for, **env)


def test_a_bad_number_names_the_variable(settings_for: Any) -> None:
    assert "PORTAL_SESSION_SECONDS must be a whole number, got 'eight hours'" in refusal(
        settings_for, DEBUG="true", PORTAL_SESSION_SECONDS="eight hours")


def test_an_unknown_role_in_role_groups_is_refused(settings_for: Any) -> None:
    assert "PORTAL_ROLE_GROUPS names unknown roles ['superuser']" in refusal(
        settings_for, DEBUG="true", PORTAL_ROLE_GROUPS="superuser=everyone")


def test_the_database_defaults_to_sqlite_under_var(tmp_path: Path, settings_for: Any) -> None:
    db = settings_for(DEBUG="true")["DATABASES"]["default"]

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert str(db["NAME"]) == str(tmp_path / "var" / "portal.sqlite3")


def test_database_url_selects_postgresql(settings_for: Any) -> None:
    db = settings_for(DEBUG="true",
                      DATABASE_URL="postgres://portal@db.internal:5433/portal")["DATABASES"]

    assert {key: db["default"][key] for key in ("ENGINE", "NAME", "HOST", "PORT", "USER")} == {
        "ENGINE": "django.db.backends.postgresql", "NAME": "portal", "HOST": "db.internal",
        "PORT": 5433, "USER": "portal"}


def test_the_broker_defaults_to_the_filesystem_transport_under_var(
        tmp_path: Path, settings_for: Any) -> None:
    config = settings_for(DEBUG="true")

    queue = tmp_path / "var" / "celery-broker" / "queue"
    assert config["CELERY_BROKER_URL"] == "filesystem://"
    assert config["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(queue)
    assert config["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_out"] == str(queue)
    assert queue.is_dir() and (tmp_path / "var" / "celery-broker" / "processed").is_dir()


def test_celery_broker_url_selects_redis(tmp_path: Path, settings_for: Any) -> None:
    config = settings_for(DEBUG="true", CELERY_BROKER_URL="redis://cache:6379/0")

    assert config["CELERY_BROKER_URL"] == "redis://cache:6379/0"
    assert "data_folder_in" not in config["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert not (tmp_path / "var" / "celery-broker").exists()

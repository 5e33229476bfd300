"""The AWS settings this app adds, read in a fresh process (settings raise at import)."""

from __future__ import annotations

from pathlib import Path

from tests.portal.test_settings import run

SHOW = ("import django; django.setup(); from django.conf import settings as s; "
        "print(s.PORTAL_AWS_STATIC_CREDENTIALS, s.PORTAL_AWS_SESSION_SECONDS, "
        "repr(s.PORTAL_AWS_ADMIN_ROLE_NAME), repr(s.PORTAL_AWS_CLIENT_HOOK))")


def test_aws_mode_defaults_to_the_credential_chain_no_hook_and_no_admin_role(
        tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_AWS_MODE="aws")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "3600", "''", "''"]


def test_fake_mode_is_the_default_and_brings_the_fakes_hook_and_credentials(
        tmp_path: Path) -> None:
    from fakeaws.credentials import FAKE_CREDENTIALS

    done = run(SHOW, tmp_path, DEBUG="true")
    assert done.returncode == 0, done.stderr
    key_id, secret = FAKE_CREDENTIALS["aws_access_key_id"], FAKE_CREDENTIALS[
        "aws_secret_access_key"]
    assert done.stdout.split() == [f"('{key_id}',", f"'{secret}')", "3600", "''",
                                   "'fakeaws.hook.attach'"]
    # Explicit settings win in fake mode too (a hook of one's own, other static keys).
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_AWS_CLIENT_HOOK="x.y",
               PORTAL_AWS_STATIC_CREDENTIALS="AKIAOTHER:s")
    assert done.stdout.split() == ["('AKIAOTHER',", "'s')", "3600", "''", "'x.y'"]


def test_an_unknown_aws_mode_is_refused(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_AWS_MODE="simulated")
    assert done.returncode != 0
    assert "PORTAL_AWS_MODE must be fake or aws" in done.stderr


def test_static_credentials_are_a_key_id_and_secret_pair(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_AWS_STATIC_CREDENTIALS="AKIAFAKE:secret",
               PORTAL_AWS_ADMIN_ROLE_NAME="PortalAdmin")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["('AKIAFAKE',", "'secret')"]
    assert "'PortalAdmin'" in done.stdout


def test_malformed_static_credentials_are_refused_with_one_clear_line(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_AWS_STATIC_CREDENTIALS="no-colon")
    assert done.returncode != 0
    assert "PORTAL_AWS_STATIC_CREDENTIALS must look like ACCESS_KEY_ID:SECRET_ACCESS_KEY" \
        in done.stderr
    assert "no-colon" not in done.stderr  # a secret-ish value is not echoed back

"""The lease settings: read from the environment, a bad value stops start-up with its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.portal.test_settings import run

READ = ("import django; from django.conf import settings; django.setup(); "
        "print(settings.PORTAL_LEASE_WARN_DAYS, settings.PORTAL_LEASE_DEFAULT_DAYS, "
        "settings.PORTAL_LEASE_MAX_DAYS)")


def test_the_warnings_are_read_biggest_first(tmp_path: Path) -> None:
    result = run(READ, tmp_path, DEBUG="true", PORTAL_LEASE_WARN_DAYS="1, 14,7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(14, 7, 1) 30 90"


@pytest.mark.parametrize(("env", "message"), [
    ({"PORTAL_LEASE_WARN_DAYS": "7,soon"}, "PORTAL_LEASE_WARN_DAYS must be a comma-separated"),
    ({"PORTAL_LEASE_WARN_DAYS": "0"}, "PORTAL_LEASE_WARN_DAYS must be a comma-separated"),
    ({"PORTAL_LEASE_DEFAULT_DAYS": "60", "PORTAL_LEASE_MAX_DAYS": "30"},
     "PORTAL_LEASE_DEFAULT_DAYS (60) must not be more than PORTAL_LEASE_MAX_DAYS (30)"),
    ({"PORTAL_LEASE_GRACE_DAYS": "-1"}, "PORTAL_LEASE_GRACE_DAYS must be at least 0"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path: Path, env: dict[str, str],
                                                        message: str) -> None:
    result = run(READ, tmp_path, DEBUG="true", **env)
    assert result.returncode != 0
    assert message in result.stderr

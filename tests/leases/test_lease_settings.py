"""The lease settings: read from the environment, a bad value stops start-up with its name
(``settings_for`` imports config.settings afresh with that environment only)."""

from __future__ import annotations

import pytest

from tests.settings_env import SettingsFor, refusal


def test_the_warnings_are_read_biggest_first(settings_for: SettingsFor) -> None:
    settings = settings_for(DEBUG="true", PORTAL_LEASE_WARN_DAYS="1, 14,7")
    assert (settings["PORTAL_LEASE_WARN_DAYS"], settings["PORTAL_LEASE_DEFAULT_DAYS"],
            settings["PORTAL_LEASE_MAX_DAYS"]) == ((14, 7, 1), 30, 90)


@pytest.mark.parametrize(("env", "message"), [
    ({"PORTAL_LEASE_WARN_DAYS": "7,soon"}, "PORTAL_LEASE_WARN_DAYS must be a comma-separated"),
    ({"PORTAL_LEASE_WARN_DAYS": "0"}, "PORTAL_LEASE_WARN_DAYS must be a comma-separated"),
    ({"PORTAL_LEASE_DEFAULT_DAYS": "60", "PORTAL_LEASE_MAX_DAYS": "30"},
     "PORTAL_LEASE_DEFAULT_DAYS (60) must not be more than PORTAL_LEASE_MAX_DAYS (30)"),
    ({"PORTAL_LEASE_GRACE_DAYS": "-1"}, "PORTAL_LEASE_GRACE_DAYS must be at least 0"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(settings_for: SettingsFor,
                                                        env: dict[str, str],
                                                        message: str) -> None:
    assert message in refusal(settings_for, DEBUG="true", **env)

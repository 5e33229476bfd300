"""The AWS settings this app adds, from a controlled environment (settings raise at import;
``settings_for`` imports config.settings afresh with that environment only)."""

from __future__ import annotations

from typing import Any

from tests.settings_env import SettingsFor, refusal


def shown(settings: dict[str, Any]) -> list[object]:
    return [settings["PORTAL_AWS_STATIC_CREDENTIALS"], settings["PORTAL_AWS_SESSION_SECONDS"],
            settings["PORTAL_AWS_ADMIN_ROLE_NAME"], settings["PORTAL_AWS_CLIENT_HOOK"]]


def test_aws_mode_defaults_to_the_credential_chain_no_hook_and_no_admin_role(
        settings_for: SettingsFor) -> None:
    assert shown(settings_for(DEBUG="true", PORTAL_AWS_MODE="aws")) == [None, 3600, "", ""]


def test_fake_mode_is_the_default_and_brings_the_fakes_hook_and_credentials(
        settings_for: SettingsFor) -> None:
    from fakeaws.credentials import FAKE_CREDENTIALS

    key_id, secret = FAKE_CREDENTIALS["aws_access_key_id"], FAKE_CREDENTIALS[
        "aws_secret_access_key"]
    assert shown(settings_for(DEBUG="true")) == [(key_id, secret), 3600, "",
                                                 "fakeaws.hook.attach"]
    # Explicit settings win in fake mode too (a hook of one's own, other static keys).
    assert shown(settings_for(DEBUG="true", PORTAL_AWS_CLIENT_HOOK="x.y",
                              PORTAL_AWS_STATIC_CREDENTIALS="AKIAOTHER:s")) == [
        ("AKIAOTHER", "s"), 3600, "", "x.y"]


def test_an_unknown_aws_mode_is_refused(settings_for: SettingsFor) -> None:
    assert "PORTAL_AWS_MODE must be fake or aws" in refusal(settings_for, DEBUG="true",
                                                            PORTAL_AWS_MODE="simulated")


def test_static_credentials_are_a_key_id_and_secret_pair(settings_for: SettingsFor) -> None:
    settings = settings_for(DEBUG="true", PORTAL_AWS_STATIC_CREDENTIALS="AKIAFAKE:secret",
                            PORTAL_AWS_ADMIN_ROLE_NAME="PortalAdmin")
    assert shown(settings)[0] == ("AKIAFAKE", "secret")
    assert shown(settings)[2] == "PortalAdmin"


def test_malformed_static_credentials_are_refused_with_one_clear_line(
        settings_for: SettingsFor) -> None:
    message = refusal(settings_for, DEBUG="true", PORTAL_AWS_STATIC_CREDENTIALS="no-colon")
    assert "PORTAL_AWS_STATIC_CREDENTIALS must look like ACCESS_KEY_ID:SECRET_ACCESS_KEY" \
        in message
    assert "\n" not in message.strip()  # one line
    assert "no-colon" not in message  # a secret-ish value is not echoed back

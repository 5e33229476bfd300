"""The event-driven status settings, from a controlled environment (settings raise at import;
``settings_for`` imports config.settings afresh with that environment only), and the
consume_events command's refusal when events are off."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.settings_env import SettingsFor, refusal

QUEUE = "https://sqs.eu-west-1.amazonaws.com/999999999999/portal-events"


def shown(settings: dict[str, Any]) -> list[object]:
    return [settings["PORTAL_EVENTS_ENABLED"], settings["PORTAL_EVENTS_FALLBACK_SECONDS"],
            settings["FAKEAWS_EVENTS_QUEUE_URL"] or "-"]


def test_events_are_off_by_default_and_on_they_name_the_fakes_target(
        settings_for: SettingsFor) -> None:
    assert shown(settings_for(DEBUG="true")) == [False, 300, "-"]
    assert shown(settings_for(DEBUG="true", PORTAL_EVENTS_ENABLED="true",
                              PORTAL_EVENTS_QUEUE_URL=QUEUE)) == [True, 300, QUEUE]


def test_events_on_without_a_queue_url_are_refused(settings_for: SettingsFor) -> None:
    assert "PORTAL_EVENTS_QUEUE_URL must be an SQS queue URL" in refusal(
        settings_for, DEBUG="true", PORTAL_EVENTS_ENABLED="true")


def test_a_fallback_wait_longer_than_the_visibility_timeout_is_refused(
        settings_for: SettingsFor) -> None:
    assert "PORTAL_BROKER_VISIBILITY_SECONDS must be more than the longest countdown (650 s" \
        in refusal(settings_for, DEBUG="true", PORTAL_EVENTS_ENABLED="true",
                   PORTAL_EVENTS_QUEUE_URL=QUEUE, PORTAL_EVENTS_FALLBACK_SECONDS="500")


def test_consume_events_refuses_to_run_with_events_off(settings: object) -> None:
    with pytest.raises(CommandError, match="PORTAL_EVENTS_ENABLED is off"):
        call_command("consume_events", "--once")

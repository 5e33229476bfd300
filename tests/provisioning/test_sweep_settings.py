"""The sweep and redelivery settings, from a controlled environment (settings raise at import;
``settings_for`` imports config.settings afresh with that environment only)."""

from __future__ import annotations

from typing import Any

from tests.settings_env import SettingsFor, refusal

REDIS = "redis://127.0.0.1:6379/3"


def shown(settings: dict[str, Any]) -> list[object]:
    return [settings["PORTAL_SWEEPER_SECONDS"], settings["PORTAL_STALLED_AFTER_SECONDS"],
            settings["PORTAL_PROVISION_RETRY_MAX_SECONDS"],
            settings["PORTAL_BROKER_VISIBILITY_SECONDS"],
            settings["CELERY_BROKER_TRANSPORT_OPTIONS"].get("visibility_timeout")]


def test_the_defaults_sweep_every_30_s_and_redis_redelivers_after_10_minutes(
        settings_for: SettingsFor) -> None:
    assert shown(settings_for(DEBUG="true", CELERY_BROKER_URL=REDIS)) == [30, 60, 300, 600, 600]
    # The filesystem transport has no visibility timeout: none is passed to it.
    assert shown(settings_for(DEBUG="true", CELERY_BROKER_URL="filesystem://"))[-1] is None


def test_the_visibility_timeout_follows_its_setting(settings_for: SettingsFor) -> None:
    settings = settings_for(DEBUG="true", CELERY_BROKER_URL=REDIS,
                            PORTAL_PROVISION_RETRY_MAX_SECONDS="60",
                            PORTAL_BROKER_VISIBILITY_SECONDS="90")
    assert shown(settings)[-2:] == [90, 90]


def test_a_visibility_timeout_shorter_than_the_longest_countdown_is_refused(
        settings_for: SettingsFor) -> None:
    # 300 s retry cap + 30 % jitter = 390 s: a message waiting that long would be redelivered.
    assert "PORTAL_BROKER_VISIBILITY_SECONDS must be more than the longest countdown (390 s" \
        in refusal(settings_for, DEBUG="true", CELERY_BROKER_URL=REDIS,
                   PORTAL_BROKER_VISIBILITY_SECONDS="390")
    assert "longest countdown (780 s" in refusal(settings_for, DEBUG="true",
                                                 CELERY_BROKER_URL=REDIS,
                                                 PORTAL_FOLLOW_MAX_SECONDS="600")

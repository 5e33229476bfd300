"""The event-driven status settings, read in a fresh process (settings raise at import), and the
consume_events command's refusal when events are off."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.portal.test_settings import run

SHOW = ("import django; django.setup(); from django.conf import settings as s; "
        "print(s.PORTAL_EVENTS_ENABLED, s.PORTAL_EVENTS_FALLBACK_SECONDS, "
        "s.FAKEAWS_EVENTS_QUEUE_URL or '-')")
QUEUE = "https://sqs.eu-west-1.amazonaws.com/999999999999/portal-events"


def test_events_are_off_by_default_and_on_they_name_the_fakes_target(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "300", "-"]
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_EVENTS_ENABLED="true",
               PORTAL_EVENTS_QUEUE_URL=QUEUE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "300", QUEUE]


def test_events_on_without_a_queue_url_are_refused(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_EVENTS_ENABLED="true")
    assert done.returncode != 0
    assert "PORTAL_EVENTS_QUEUE_URL must be an SQS queue URL" in done.stderr


def test_a_fallback_wait_longer_than_the_visibility_timeout_is_refused(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", PORTAL_EVENTS_ENABLED="true",
               PORTAL_EVENTS_QUEUE_URL=QUEUE, PORTAL_EVENTS_FALLBACK_SECONDS="500")
    assert done.returncode != 0
    assert "PORTAL_BROKER_VISIBILITY_SECONDS must be more than the longest countdown (650 s" \
        in done.stderr


def test_consume_events_refuses_to_run_with_events_off(settings: object) -> None:
    with pytest.raises(CommandError, match="PORTAL_EVENTS_ENABLED is off"):
        call_command("consume_events", "--once")

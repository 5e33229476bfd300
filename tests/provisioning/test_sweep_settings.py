"""The sweep and redelivery settings, read in a fresh process (settings raise at import)."""

from __future__ import annotations

from pathlib import Path

from tests.portal.test_settings import run

SHOW = ("import django; django.setup(); from django.conf import settings as s; "
        "print(s.PORTAL_SWEEPER_SECONDS, s.PORTAL_STALLED_AFTER_SECONDS, "
        "s.PORTAL_PROVISION_RETRY_MAX_SECONDS, s.PORTAL_BROKER_VISIBILITY_SECONDS, "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS.get('visibility_timeout'))")
REDIS = "redis://127.0.0.1:6379/3"


def test_the_defaults_sweep_every_30_s_and_redis_redelivers_after_10_minutes(
        tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", CELERY_BROKER_URL=REDIS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["30", "60", "300", "600", "600"]
    # The filesystem transport has no visibility timeout: none is passed to it.
    done = run(SHOW, tmp_path, DEBUG="true", CELERY_BROKER_URL="filesystem://")
    assert done.stdout.split()[-1] == "None"


def test_the_visibility_timeout_follows_its_setting(tmp_path: Path) -> None:
    done = run(SHOW, tmp_path, DEBUG="true", CELERY_BROKER_URL=REDIS,
               PORTAL_PROVISION_RETRY_MAX_SECONDS="60", PORTAL_BROKER_VISIBILITY_SECONDS="90")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["90", "90"]


def test_a_visibility_timeout_shorter_than_the_longest_countdown_is_refused(
        tmp_path: Path) -> None:
    # 300 s retry cap + 30 % jitter = 390 s: a message waiting that long would be redelivered.
    done = run(SHOW, tmp_path, DEBUG="true", CELERY_BROKER_URL=REDIS,
               PORTAL_BROKER_VISIBILITY_SECONDS="390")
    assert done.returncode != 0
    assert "PORTAL_BROKER_VISIBILITY_SECONDS must be more than the longest countdown (390 s" \
        in done.stderr
    done = run(SHOW, tmp_path, DEBUG="true", CELERY_BROKER_URL=REDIS,
               PORTAL_FOLLOW_MAX_SECONDS="600")
    assert done.returncode != 0 and "longest countdown (780 s" in done.stderr

"""The periodic task that forgets SAML assertion ids a day past their expiry."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from config.schedules import beat_schedule
from portal.models import SeenAssertion
from portal.tasks import saml_assertions_prune_task


def seen(assertion_id: str, expired_ago: timedelta) -> None:
    SeenAssertion.objects.create(assertion_id=assertion_id,
                                 not_on_or_after=timezone.now() - expired_ago)


def test_it_removes_ids_a_day_past_expiry_and_keeps_the_others(db: None) -> None:
    seen("_long-gone", timedelta(days=3))
    seen("_just-over-a-day", timedelta(days=1, minutes=5))
    seen("_expired-an-hour-ago", timedelta(hours=1))
    seen("_almost-a-day", timedelta(hours=23, minutes=55))
    seen("_still-valid", -timedelta(minutes=5))

    removed = saml_assertions_prune_task.apply().get()

    assert removed == 2
    assert sorted(SeenAssertion.objects.values_list("assertion_id", flat=True)) == [
        "_almost-a-day", "_expired-an-hour-ago", "_still-valid"
    ]


def test_it_does_nothing_when_nothing_is_old(db: None) -> None:
    seen("_fresh", -timedelta(minutes=5))

    assert saml_assertions_prune_task.apply().get() == 0
    assert SeenAssertion.objects.count() == 1


def test_beat_runs_it_every_hour() -> None:
    entry = beat_schedule()["portal-forget-expired-assertions"]

    assert entry["task"] == saml_assertions_prune_task.name
    assert entry["schedule"] == 3600.0

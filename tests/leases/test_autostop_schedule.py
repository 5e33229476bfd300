"""Schedules on the owner's clock: the next and latest occurrence, across daylight-saving
changes, and how a project's and a product's policies combine."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from leases.models import StopPolicy
from leases.schedules import Schedule, rules_of

NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY_20 = Schedule(weekdays="0123456", at=time(20, 0))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_20_00_new_york_stays_20_00_local_across_the_march_change() -> None:
    # DST starts Sunday 2026-03-08 02:00 local: EST (UTC-5) before, EDT (UTC-4) after.
    saturday = EVERY_DAY_20.next(NEW_YORK, after=utc(2026, 3, 7, 12))
    assert saturday is not None
    sunday = EVERY_DAY_20.next(NEW_YORK, after=saturday)
    assert saturday == utc(2026, 3, 8, 1)  # 20:00 EST
    assert sunday == utc(2026, 3, 9, 0)    # 20:00 EDT: 23 hours later, same local time
    assert sunday is not None and sunday.astimezone(NEW_YORK).hour == 20


def test_20_00_new_york_stays_20_00_local_across_the_november_change() -> None:
    # DST ends Sunday 2026-11-01 02:00 local: EDT before, EST after (the day has 25 hours).
    saturday = EVERY_DAY_20.next(NEW_YORK, after=utc(2026, 10, 31, 12))
    assert saturday is not None
    sunday = EVERY_DAY_20.next(NEW_YORK, after=saturday)
    assert saturday == utc(2026, 11, 1, 0)
    assert sunday == utc(2026, 11, 2, 1)
    assert EVERY_DAY_20.latest(NEW_YORK, at=utc(2026, 11, 2, 0, 30)) == saturday


def test_a_time_repeated_by_the_fall_back_occurs_once() -> None:
    early = Schedule(weekdays="6", at=time(1, 30))  # 01:30 happens twice on 2026-11-01
    first = early.next(NEW_YORK, after=utc(2026, 10, 31, 12))
    assert first is not None and first == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT)
    assert early.next(NEW_YORK, after=first) == utc(2026, 11, 8, 6, 30)  # a week later, EST


def test_a_time_skipped_by_the_spring_forward_stops_just_after_the_gap() -> None:
    early = Schedule(weekdays="6", at=time(2, 30))  # 02:30 does not exist on 2026-03-08
    when = early.next(NEW_YORK, after=utc(2026, 3, 7, 12))
    # 03:30 EDT: the offset before the change
    assert when is not None and when == utc(2026, 3, 8, 7, 30)
    assert when.astimezone(NEW_YORK).hour == 3


def test_weekdays_skip_the_weekend_and_latest_looks_back_over_it() -> None:
    paris = ZoneInfo("Europe/Paris")
    weekdays = Schedule(weekdays="01234", at=time(20, 0))
    friday_evening = utc(2026, 3, 6, 19)  # 20:00 CET
    assert weekdays.next(paris, after=utc(2026, 3, 6, 12)) == friday_evening
    assert weekdays.next(paris, after=friday_evening) == utc(2026, 3, 9, 19)  # Monday
    assert weekdays.latest(paris, at=utc(2026, 3, 8, 12)) == friday_evening
    assert weekdays.latest(paris, at=utc(2026, 3, 6, 18, 59)) == utc(2026, 3, 5, 19)


@pytest.mark.parametrize(("days", "label"), [
    ("01234", "weekdays 20:00"), ("56", "weekends 20:00"), ("0123456", "every day 20:00"),
    ("024", "Mon, Wed, Fri 20:00")])
def test_a_schedule_reads_as_people_say_it(days: str, label: str) -> None:
    assert Schedule(weekdays=days, at=time(20, 0)).label() == label


def test_both_schedules_apply_the_shorter_idle_time_and_opt_out_only_if_both_allow() -> None:
    project = StopPolicy(weekdays="01234", stop_at=time(20, 0), idle_hours=8,
                         owners_may_opt_out=True)
    product = StopPolicy(weekdays="56", stop_at=time(18, 0), idle_hours=4,
                         owners_may_opt_out=False)
    rules = rules_of([project, product])
    assert [s.label() for s in rules.schedules] == ["weekdays 20:00", "weekends 18:00"]
    assert rules.idle_hours == 4 and rules.may_opt_out is False
    assert rules.text(ZoneInfo("Europe/Paris")) == (
        "stops weekdays 20:00 Europe/Paris; stops weekends 18:00 Europe/Paris; "
        "idle stop after 4 h without an open")
    assert rules_of([project, None]).may_opt_out is True
    assert not rules_of([None, None]).active

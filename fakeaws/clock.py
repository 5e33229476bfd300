"""The fake's one clock. Tests move it (``advance``) instead of sleeping.

The offset lives in the process: a test that moves time moves it for the code it runs, which is
what a test wants; web and worker processes of the demo both run on real time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta()


def now() -> datetime:
    return timezone.now() + _offset


def advance(seconds: float) -> None:
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta()

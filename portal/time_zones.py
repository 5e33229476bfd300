"""People's time zones: an IANA name (``Europe/Paris``) checked against the zoneinfo database.

A person without one is in ``PORTAL_OWNER_TIME_ZONE`` (settings). What runs "at 20:00" for
someone (the auto-stop schedules of the leases app) runs at 20:00 on their clock, daylight
saving time included.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError


def time_zone_or_none(name: str) -> ZoneInfo | None:
    """The zone called ``name``, or None when it is not an IANA zone name."""
    # "/etc/passwd"-like keys raise ValueError; unknown ones ZoneInfoNotFoundError.
    if not name or name != name.strip() or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def time_zone_validate(value: str) -> None:
    """Model/form validator: an IANA time zone name (blank means the portal's default)."""
    if value and time_zone_or_none(value) is None:
        raise ValidationError(f"{value!r} is not an IANA time zone name (like Europe/London).")


def user_time_zone(user: Any) -> ZoneInfo:
    """The zone someone's clock is in: theirs, else ``PORTAL_OWNER_TIME_ZONE``."""
    return time_zone_or_none(getattr(user, "time_zone", "") or "") \
        or ZoneInfo(settings.PORTAL_OWNER_TIME_ZONE)

"""The values the one-pass list writers share (issue 16): the pages that write their table rows
in Python, and the API lists built as plain dicts instead of through their serializers. Each
value is formatted as the template filter or the DRF field it stands in for, so the output is
the same text as before by construction."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from rest_framework import serializers

# DRF's own field formats the API's times (the current time zone, ISO 8601 with "Z" for UTC).
_API_TIME = serializers.DateTimeField()


def api_time(value: datetime | None) -> str | None:
    """``serializers.DateTimeField().to_representation``; None stays None."""
    return None if value is None else _API_TIME.to_representation(value)


def api_text(value: object) -> str | None:
    """``serializers.CharField().to_representation`` (``str``); None stays None."""
    return None if value is None else str(value)


def local_minute(value: datetime | None, empty: str = "") -> str:
    """The templates' ``|date:"Y-m-d H:i"`` in the current time zone; ``empty`` for None."""
    return empty if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

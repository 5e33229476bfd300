"""The values the one-pass list writers share (issue 16): the pages that write their table rows
in Python, and the API lists built as plain dicts instead of through their serializers. Each
value is formatted as the template filter or the DRF field it stands in for, so the output is
the same text as before by construction."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.text import Truncator
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

# DRF's own field formats the API's times (the current time zone, ISO 8601 with "Z" for UTC).
_API_TIME = serializers.DateTimeField()


def api_time(value: datetime | None) -> str | None:
    """``serializers.DateTimeField().to_representation``; None stays None."""
    return None if value is None else _API_TIME.to_representation(value)


def api_times() -> Callable[[datetime | None], str | None]:
    """``api_time`` for the rows of one answer: the current time zone read once, not on each
    value (DRF's field reads it per value, a context-local lookup each; some 70 times a page of
    requests, issue 16). An aware time in it, ISO 8601 with "Z" for UTC, as the field writes
    it; anything else (a naive time) goes through the field itself."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    written_as = getattr(_API_TIME, "format", api_settings.DATETIME_FORMAT)
    if zone is None or not isinstance(written_as, str) or written_as.lower() != ISO_8601:
        return api_time

    def text(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return _API_TIME.to_representation(value)
        written = value.astimezone(zone).isoformat()
        return written[:-6] + "Z" if written.endswith("+00:00") else written

    return text


def api_text(value: object) -> str | None:
    """``serializers.CharField().to_representation`` (``str``); None stays None."""
    return None if value is None else str(value)


def local_minute(value: datetime | None, empty: str = "") -> str:
    """The templates' ``|date:"Y-m-d H:i"`` in the current time zone; ``empty`` for None."""
    return empty if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def cell_text(value: object) -> str:
    """A template variable's output (``{{ value }}``): localized, then escaped unless already
    safe. Text is escaped as Django's ``escape`` does (``html.escape``), and an int is its
    digits unless thousands are grouped (what ``localize`` gives, without its format lookups:
    through ``localize`` the inbox's some 250 values a page cost more than writing the rows)."""
    if isinstance(value, str):
        return value if isinstance(value, SafeData) else html.escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # digits and a sign: nothing to escape
    return str(conditional_escape(str(localize(value))))


def escaped(value: object) -> str:
    """``django.utils.html.escape(value)`` as plain text: every value escaped, safe ones too.
    The row writers mark a whole row safe once; ``escape`` per cell spent its lazy-argument
    check and a ``SafeString`` on each of some 600 values of a page (issue 16)."""
    return html.escape(str(value))


def choice_labels(choices: Iterable[tuple[object, object]]) -> dict[object, str]:
    """Label by value of a field's choices, for ``labels.get(value, value)`` in place of
    ``get_FOO_display()``, which rebuilds the whole mapping on every call."""
    return {value: str(label) for value, label in choices}


def truncated_chars(value: object, length: int) -> str:
    """``Truncator(value).chars(length)`` (the ``|truncatechars`` filter's text, in NFC), with
    the common case without it: a text of at most ``length`` code points in NFC is returned as
    it is, as ``Truncator`` returns it (combining characters only lower its count). A lazy
    ``Truncator`` for each row's text was the largest cell of "My environments" (issue 16)."""
    text = str(value)
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return str(Truncator(text).chars(length))

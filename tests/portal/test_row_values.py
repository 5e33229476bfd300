"""The shared values of the one-pass list writers match the template filter and the DRF field
they stand in for (portal/row_values.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import engines
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from rest_framework import serializers

from portal.models import Project
from portal.row_values import (
    api_text,
    api_time,
    choice_labels,
    escaped,
    local_minute,
    truncated_chars,
)

AT = datetime(2026, 3, 29, 0, 30, 5, tzinfo=UTC)  # 01:30 in Paris (CET, the day DST starts)


def test_local_minute_is_the_date_filter_in_the_current_time_zone() -> None:
    template = engines["django"].from_string('{{ at|date:"Y-m-d H:i" }}')
    for zone in ("UTC", "Europe/Paris", "America/New_York"):
        with timezone.override(zone):
            assert local_minute(AT) == template.render({"at": AT}), zone
    with timezone.override("Europe/Paris"):
        assert local_minute(AT) == "2026-03-29 01:30"
    assert local_minute(None) == ""
    assert local_minute(None, "—") == "—"


def test_api_values_are_the_drf_fields_text() -> None:
    field = serializers.DateTimeField()
    for zone in ("UTC", "Europe/Paris"):
        with timezone.override(zone):
            assert api_time(AT) == field.to_representation(AT), zone
    assert api_time(None) is None
    assert api_text(None) is None
    assert api_text(12) == "12"


def test_escaped_is_django_escape_as_text_for_every_kind_of_value() -> None:
    import uuid
    from decimal import Decimal

    values = ["<a href='x'>&\"", mark_safe("<b>safe</b>"), 12, Decimal("1.50"), None, "",
              uuid.UUID("9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a")]
    for value in values:
        assert escaped(value) == escape(value), value
    assert escaped(mark_safe("<b>")) == "&lt;b&gt;"  # safe text is escaped too, as escape does


def test_choice_labels_are_the_fields_display_values() -> None:
    labels = choice_labels(Project.Environment.choices)
    for value in Project.Environment.values:
        assert labels[value] == Project(environment=value).get_environment_display()
    assert labels.get("nope", "nope") == Project(environment="nope").get_environment_display()


def test_truncated_chars_is_truncators_text_short_long_combining_and_not_normalized() -> None:
    texts = ["", "Waiting for AWS", "x" * 199, "x" * 200, "x" * 201, "x" * 500,
             "e\u0301" * 150,  # 300 code points, 150 characters, not NFC: normalized
             "e\u0301" * 50,  # short and not NFC: Truncator still normalizes it
             "a\u0301" * 250,  # NFC is 250 characters: truncated
             "\u0301" * 300,  # combining only: no character counts
             "<b>" + "y" * 300 + "</b>", 12345, None]
    for text in texts:
        for length in (1, 9, 200):
            assert truncated_chars(text, length) == Truncator(text).chars(length), (text, length)

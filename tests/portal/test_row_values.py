"""The shared values of the one-pass list writers match the template filter and the DRF field
they stand in for (portal/row_values.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import engines
from django.utils import timezone
from rest_framework import serializers

from portal.row_values import api_text, api_time, local_minute

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

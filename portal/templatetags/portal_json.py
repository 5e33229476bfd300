"""JSON for people: the audit trail shows each event's details on one line, and formatted."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def json_line(value: Any) -> str:
    """The value as one line of JSON (keys sorted), for a row that must stay one line."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def json_pretty(value: Any) -> str:
    """The value as indented JSON (keys sorted); the template escapes it."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)

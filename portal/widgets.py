"""Select widgets rendered in one pass of Python, for selects with many options.

Django's ``Select`` renders each option through its own ``{% include %}`` of
``django/forms/widgets/select_option.html`` (and ``attrs.html`` inside it): the audit trail's
action filter (about a hundred options) spent most of that page's form time there, and a
request form's instance-type choice as much (issue 16). These widgets build the same options
(``get_context``: the same ``optgroups``, ``selected`` and attributes) and write the markup
Django's templates write, byte for byte (tests/portal/test_widgets.py compares the two).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``: False leaves the attribute out, True writes its
    name alone, anything else is written as text, escaped."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items() if value is not False)


def select_markup(widget: Mapping[str, Any]) -> str:
    """``django/forms/widgets/select.html`` for the ``widget`` context of a select."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(f'\n  <option value="{conditional_escape(option["value"])}"'
                         f'{_attrs(option["attrs"])}>{conditional_escape(option["label"])}'
                         "</option>\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class SelectInOnePass(forms.Select):
    """``forms.Select``, its markup written without a template per option."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: BaseRenderer | None = None) -> SafeString:
        return mark_safe(select_markup(self.get_context(name, value, attrs)["widget"]))


class SelectMultipleInOnePass(forms.SelectMultiple):
    """``forms.SelectMultiple``, its markup written without a template per option."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: BaseRenderer | None = None) -> SafeString:
        return mark_safe(select_markup(self.get_context(name, value, attrs)["widget"]))

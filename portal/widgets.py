"""Select and input widgets rendered in one pass of Python, for selects with many options.

Django's ``Select`` renders each option through its own ``{% include %}`` of
``django/forms/widgets/select_option.html`` (and ``attrs.html`` inside it): the audit trail's
action filter (about a hundred options) spent most of that page's form time there, and a
request form's instance-type choice as much (issue 16). These widgets walk the choices as
``optgroups`` does (the same groups, ``selected`` and attributes) and write the markup Django's
templates write, byte for byte (tests/portal/test_widgets.py compares the two).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.forms.widgets import Input
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _text(value: Any) -> str:
    """``conditional_escape(value)``: plain text straight through ``html.escape`` (what Django's
    ``escape`` calls), without its lazy-text wrapper and ``SafeString`` for each of a hundred
    options' value and label."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``: False leaves the attribute out, True writes its
    name alone, anything else is written as text, escaped."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items() if value is not False)


def _option(value: Any, label: Any, selected: bool) -> str:
    """``django/forms/widgets/select_option.html`` (a select's options inherit no attributes:
    ``selected`` is their only one), with the newline that template file ends with."""
    return (f'\n  <option value="{_text(value)}"{" selected" if selected else ""}>'
            f"{_text(label)}</option>\n")


def select_markup(widget: forms.Select, name: str, value: Any,
                  attrs: dict[str, Any] | None) -> str:
    """``django/forms/widgets/select.html`` for ``widget``: the options as ``optgroups`` makes
    them (a choice whose label is a list is a group; only the first match is selected unless
    the select takes several), without building a context per option."""
    values = widget.format_value(value)
    final = widget.build_attrs(widget.attrs, attrs)
    if widget.allow_multiple_selected:
        final["multiple"] = True
    parts = [f'<select name="{conditional_escape(name)}"{_attrs(final)}>']
    has_selected = False
    for option_value, option_label in widget.choices:
        option_value = "" if option_value is None else option_value
        grouped = isinstance(option_label, (list, tuple))
        # The template's {% if group_name %}: a group without a name has no optgroup element.
        named = grouped and bool(option_value)
        if named:
            parts.append(f'\n  <optgroup label="{conditional_escape(option_value)}">')
        choices = option_label if grouped else [(option_value, option_label)]
        for subvalue, sublabel in choices:
            selected = ((not has_selected or widget.allow_multiple_selected)
                        and str(subvalue) in values)
            has_selected |= selected
            parts.append(_option(subvalue, sublabel, selected))
        if named:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class SelectInOnePass(forms.Select):
    """``forms.Select``, its markup written without a template per option."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: BaseRenderer | None = None) -> SafeString:
        return mark_safe(select_markup(self, name, value, attrs))


class SelectMultipleInOnePass(forms.SelectMultiple):
    """``forms.SelectMultiple``, its markup written without a template per option."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: BaseRenderer | None = None) -> SafeString:
        return mark_safe(select_markup(self, name, value, attrs))


# Django's input widget templates (text.html, date.html, number.html, ...): each is
# ``{% include "django/forms/widgets/input.html" %}`` (the renderer strips the newlines after).
_INPUT_TEMPLATES = frozenset(f"django/forms/widgets/{kind}.html" for kind in (
    "text", "date", "number", "email", "url", "password", "search", "time", "datetime"))


def input_markup(widget: Input, name: str, value: Any,
                 attrs: dict[str, Any] | None) -> str:
    """``django/forms/widgets/input.html`` for ``widget`` from the context Django builds for
    it (``get_context``: its type, formatted value and attributes), without two templates (the
    input and its attributes) per field: a filter form of five fields spent more on them than
    on its select of a hundred options. The value and each attribute as ``stringformat:'s'``."""
    context = widget.get_context(name, value, attrs)["widget"]
    shown = "" if context["value"] is None else f' value="{_text(context["value"])}"'
    return (f'<input type="{_text(context["type"])}" name="{_text(context["name"])}"{shown}'
            f'{_attrs(context["attrs"])}>')


class InputInOnePass(Input):
    """A mixin for Django's input widgets (``TextInput``, ``DateInput``, ...): their markup
    written without their templates. A widget whose template is not one of Django's input
    templates (a subclass that names its own) renders as Django renders it."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: BaseRenderer | None = None) -> SafeString:
        if self.template_name not in _INPUT_TEMPLATES:
            return super().render(name, value, attrs, renderer)
        return mark_safe(input_markup(self, name, value, attrs))


class TextInputInOnePass(InputInOnePass, forms.TextInput):
    """``forms.TextInput`` without its templates."""


class DateInputInOnePass(InputInOnePass, forms.DateInput):
    """``forms.DateInput`` without its templates."""


class NumberInputInOnePass(InputInOnePass, forms.NumberInput):
    """``forms.NumberInput`` without its templates."""

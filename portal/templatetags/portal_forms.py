"""Form rendering shared by every page: one error summary and one field layout, so that each
`aria-describedby` Django puts on a widget names an element the page has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@dataclass(frozen=True)
class SummaryItem:
    text: str
    href: str = ""


def _field_anchor(field: forms.BoundField) -> str:
    """The id of the element a summary link moves to: the widget, or a choice group's first."""
    if field.is_hidden:
        return ""
    return str(field.id_for_label or field.auto_id or "")


@register.inclusion_tag("portal/_error_summary.html")
def error_summary(*forms_: object, message: str = "") -> dict[str, Any]:
    """The errors of the given forms (and an optional message) at the top of the page, each field
    error linking to its field. The page's script moves the focus here (static/portal/a11y.js).
    A name the page's context lacks (the template engine passes "") is no form: skipped."""
    items: list[SummaryItem] = [SummaryItem(str(message))] if message else []
    for form in forms_:
        if not isinstance(form, forms.BaseForm) or not form.is_bound or not form.errors:
            continue
        items.extend(SummaryItem(str(error)) for error in form.non_field_errors())
        for field in form:
            for error in field.errors:
                anchor = _field_anchor(field)
                label = field.label or field.name
                items.append(SummaryItem(f"{label}: {error}", f"#{anchor}" if anchor else ""))
    return {"items": items}


@register.simple_tag
def form_field(field: forms.BoundField, *, required_mark: bool = False,
               parameter: bool = False, errors_id: str = "") -> SafeString:
    """One field: label, widget, help text (`<auto_id>_helptext`) and errors (`<auto_id>_error`),
    the ids Django's widgets name in `aria-describedby`. Choice groups (radios, checkboxes) are a
    fieldset with a legend, never a label around labels. ``errors_id`` keeps a page's older id
    on the error list (`errors-<name>` by default).

    The markup of ``portal/_field.html`` (which a page may include itself), written here in one
    pass: rendering that template per field was most of a parameter form's CPU (issue 16: the
    product page and the request form). tests/portal/test_form_field_markup.py holds the two
    to the same bytes."""
    if field.is_hidden:
        return format_html("{}\n", field)
    errors = field.errors
    data = format_html(' data-parameter="{}"', field.name) if parameter else ""
    mark = (mark_safe(' <span class="muted">(required)</span>')
            if required_mark and field.field.required else "")
    help_text = format_html('<p class="help muted small" id="{}_helptext">{}</p>',
                            field.auto_id, field.help_text) if field.help_text else ""
    listed = format_html(
        '<div id="{}_error"><ul class="errorlist" id="{}">{}</ul></div>', field.auto_id,
        errors_id or f"errors-{field.name}",
        format_html_join("", "<li>{}</li>", ((e,) for e in errors))) if errors else ""
    state = " has-error" if errors else ""
    if field.use_fieldset:
        described = field.aria_describedby
        return format_html(
            '<fieldset class="field{}"{}{}>\n  <legend>{}{}</legend>\n  {}\n  {}\n  {}\n'
            "</fieldset>\n", state, data,
            format_html(' aria-describedby="{}"', described) if described else "",
            field.label, mark, field, help_text, listed)
    return format_html(
        '<div class="field{}"{}>\n  <label for="{}">{}{}</label>\n  {}\n  {}\n  {}\n</div>\n',
        state, data, field.id_for_label, field.label, mark, field, help_text, listed)

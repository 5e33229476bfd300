"""Form rendering shared by every page: one error summary and one field layout, so that each
`aria-describedby` Django puts on a widget names an element the page has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

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


@register.inclusion_tag("portal/_field.html")
def form_field(field: forms.BoundField, *, required_mark: bool = False,
               parameter: bool = False, errors_id: str = "") -> dict[str, Any]:
    """One field: label, widget, help text (`<auto_id>_helptext`) and errors (`<auto_id>_error`),
    the ids Django's widgets name in `aria-describedby`. Choice groups (radios, checkboxes) are a
    fieldset with a legend, never a label around labels. ``errors_id`` keeps a page's older id
    on the error list (`errors-<name>` by default)."""
    return {"field": field, "required_mark": required_mark, "parameter": parameter,
            "errors_id": errors_id or f"errors-{field.name}"}

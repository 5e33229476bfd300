"""The table rows of "My environments" and the admin's "All environments", as HTML in one pass.

A Django template spends a variable lookup, a filter call and a node render on every cell of
every row; for 50 rows that was a large part of both pages (issue 16). These functions write the
same markup (escaped by ``format_html``) from the rows the views read, one string per row; the
templates put the result in their ``<tbody>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from portal.reversing import reverse_key
from provisioning.models import Environment


def _when(value: datetime | None, empty: str = "") -> str:
    """The templates' ``|date:"Y-m-d H:i"``: in the current time zone."""
    return empty if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _name_cell(environment: Environment) -> SafeString:
    """The name, linked to its page, and the provisioned product's name when it differs."""
    name = environment.name
    cell = format_html('<a href="{}">{}</a>', reverse_key(
        "provisioning:environment_detail", environment.pk), name)
    if name != environment.provisioned_product_name:
        cell += format_html(' <span class="muted small">{}</span>',
                            environment.provisioned_product_name)
    return cell


def _status(environment: Environment) -> SafeString:
    return format_html('<span class="status status-{}" data-status>{}</span>',
                       environment.status, environment.get_status_display())


def my_environment_rows(rows: Iterable[dict[str, Any]], *, csrf_token: str) -> SafeString:
    """The rows of "My environments": ``rows`` as the view builds them (environment, state)."""
    html = []
    for row in rows:
        environment, state = row["environment"], row["state"]
        pk = environment.pk
        html.append(format_html(
            '<tr data-environment="{}" data-status-value="{}">\n'
            '      <td>{} <a class="reference small" href="{}">{}</a></td>\n'
            '      <td>{} <span class="muted small">{}</span></td>\n'
            '      <td>{}</td>\n'
            '      <td>{}<div class="small muted" data-status-message>{}</div></td>\n'
            '      <td><form method="post" action="{}" class="inline" data-open-form{}>'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="primary">Open</button></form></td>\n'
            '      <td class="small" data-lease-ends>{}</td>\n'
            '      <td class="small">{}</td>\n'
            '    </tr>',
            pk, environment.status, _name_cell(environment),
            reverse_key("approvals:request_detail", environment.origin_request_id),
            environment.origin_request.reference,
            environment.product.name, environment.version.name, environment.project.name,
            _status(environment), Truncator(environment.status_message).chars(200),
            reverse_key("provisioning:environment_open", pk),
            mark_safe("") if state["openable"] else mark_safe(" hidden"), csrf_token,
            _when(environment.expires_at, "—"), _when(environment.created_at)))
    return mark_safe("\n    ".join(html))


def admin_environment_rows(environments: Iterable[Environment]) -> SafeString:
    """The rows of the admin's "All environments"."""
    html = []
    for environment in environments:
        html.append(format_html(
            '<tr data-environment="{}">\n'
            '      <td>{}</td>\n'
            '      <td><a class="reference" href="{}">{}</a></td>\n'
            '      <td>{}</td><td>{}</td>\n'
            '      <td>{} {}</td>\n'
            '      <td>{}</td>\n'
            '      <td class="small">{}</td>\n'
            '    </tr>',
            environment.pk, _name_cell(environment),
            reverse_key("approvals:request_detail", environment.origin_request_id),
            environment.origin_request.reference, environment.owner.username,
            environment.project.slug, environment.product.name, environment.version.name,
            _status(environment), _when(environment.created_at)))
    return mark_safe("\n    ".join(html))

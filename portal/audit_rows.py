"""The audit trail's table rows, written in one pass (issue 16).

Fifty rows of seven cells through the template engine (a variable lookup, a filter and an
escape per cell, two JSON filters per row) cost the audit pages more than their queries; this
writes the same markup from the events directly, every value escaped as the template did.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from portal.models import AuditEvent
from portal.templatetags.portal_json import json_line, json_pretty

NO_EVENTS = '<tr><td colspan="7" class="muted">No events match.</td></tr>'
NO_DETAILS = '<span class="muted">—</span>'


def _details(event: AuditEvent) -> str:
    if not event.data:
        return NO_DETAILS
    return (f"<details><summary><code>{escape(json_line(event.data))}</code></summary>"
            f'<pre class="json">{escape(json_pretty(event.data))}</pre></details>')


def audit_row(event: AuditEvent) -> str:
    """One event's row: when (in the current time zone, as the template's ``date`` filter
    showed it), actor, action, object, project, source address and details."""
    at = timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S")
    project = event.project.slug if event.project_id and event.project else ""
    shown = escape(event.object_repr)
    return (f'<tr data-event="{event.pk}"><td>{at}</td>'
            f"<td>{escape(event.actor_username or '—')}</td>"
            f"<td><code>{escape(event.action)}</code></td>"
            f'<td><span class="clip" title="{shown}">{shown}</span></td>'
            f"<td>{escape(project)}</td><td>{escape(event.source_ip or '')}</td>"
            f'<td class="details">{_details(event)}</td></tr>')


def audit_rows(events: Iterable[AuditEvent]) -> SafeString:
    """The ``<tbody>`` content for these events (a "No events match." row for none)."""
    rows = "\n".join(audit_row(event) for event in events)
    return mark_safe(rows or NO_EVENTS)

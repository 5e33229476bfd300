"""What each row of the approvals inbox shows, worked out once in Python (issue 16).

The inbox's table read about thirty values per row through four-level template lookups
(``task.request.requester.display_name``), each trying a dict, an attribute and an index in
turn: the rows cost more than the page's queries. A row here is a flat dict of the values
the template prints (escaped by the template as before), so every lookup is one dict hit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.paginator import Page

from approvals.change_preview import tasks_previews_attach
from approvals.models import ApprovalTask
from portal.reversing import reverse_key
from portal.row_values import local_minute


def inbox_context(page: Page[ApprovalTask]) -> dict[str, Any]:
    """The inbox table's template variables for a page of ``inbox_page``: the page (for the
    pager) and its rows, the change previews read for all of them at once."""
    tasks_previews_attach(page)
    return {"page": page, "rows": inbox_rows(page)}


def inbox_rows(tasks: Iterable[ApprovalTask]) -> list[dict[str, Any]]:
    """The rows of a page of ``inbox_page`` (tasks with their previews attached)."""
    rows = []
    for task in tasks:
        request = task.request
        requester = request.requester.display_name
        on_behalf = getattr(task, "on_behalf_of_username", "")
        first = getattr(task, "on_behalf_of_name", "")
        last = getattr(task, "on_behalf_of_last_name", "")
        rows.append({
            "pk": task.pk, "request_pk": request.pk, "reference": request.reference,
            "url": reverse_key("approvals:request_detail", request.pk),
            "submitted": local_minute(request.created_at),  # as the template's date filter
            "requester": requester, "project": request.project.name, "name": request.name,
            "product": request.product.name, "version": request.version.name,
            "select_label": f"Select {request.product.name} for {requester}",
            "action": request.get_action_display(), "environment_ref": request.environment_ref,
            "preview": getattr(task, "preview", None),
            "cost": request.estimated_monthly_cost, "step": task.name,
            "approvals": getattr(task, "approvals", 0), "required": task.required_approvals,
            "escalated": task.escalated, "on_behalf_of": on_behalf,
            # The delegator's name as "First Last", or "First " / " Last" as the template
            # printed a half-known name; the username when neither is known.
            "on_behalf_label": f"{first} {last}" if first or last else on_behalf,
        })
    return rows

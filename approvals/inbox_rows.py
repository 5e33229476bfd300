"""What each row of the approvals inbox shows, worked out once in Python (issue 16).

The inbox's table read about thirty values per row through four-level template lookups
(``task.request.requester.display_name``), each trying a dict, an attribute and an index in
turn: the rows cost more than the page's queries. A row here is a flat dict of those values,
and ``inbox_rows_html`` writes the table's rows from them in one pass: the template's loop
still spent a variable node, a lookup and an escape on each of about twenty-five cells a row,
some 40 % of the page's CPU time. It writes the markup the loop wrote, byte for byte
(tests/approvals/test_inbox_rows_html.py holds it to the loop), every value escaped and
localized as a template variable is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.paginator import Page
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from approvals.change_preview import tasks_previews_attach
from approvals.models import ApprovalTask, Request
from portal.reversing import reverse_key_of
from portal.row_values import cell_text, choice_labels, local_minute


def inbox_context(page: Page[ApprovalTask], *, first_is_tasks: bool = False) -> dict[str, Any]:
    """The inbox table's template variables for a page of ``inbox_page``: the page (for the
    pager), its rows (whether there are any) and their markup, the change previews read for
    all of them at once. ``first_is_tasks``: the first checkbox takes the id ``id_tasks`` (the
    bulk form's errors link to it)."""
    tasks_previews_attach(page)
    rows = inbox_rows(page)
    return {"page": page, "rows": rows,
            "rows_html": inbox_rows_html(rows, first_is_tasks=first_is_tasks)}


# ``get_action_display`` without rebuilding the choices' mapping on every row.
_ACTION_LABELS = choice_labels(Request.Action.choices)


def inbox_rows(tasks: Iterable[ApprovalTask]) -> list[dict[str, Any]]:
    """The rows of a page of ``inbox_page`` (tasks with their previews attached)."""
    rows = []
    request_url = reverse_key_of("approvals:request_detail")
    for task in tasks:
        request = task.request
        requester = request.requester.display_name
        on_behalf = getattr(task, "on_behalf_of_username", "")
        first = getattr(task, "on_behalf_of_name", "")
        last = getattr(task, "on_behalf_of_last_name", "")
        rows.append({
            "pk": task.pk, "request_pk": request.pk, "reference": request.reference,
            "url": request_url(request.pk),
            "submitted": local_minute(request.created_at),  # as the template's date filter
            "requester": requester, "project": request.project.name, "name": request.name,
            "product": request.product.name, "version": request.version.name,
            "select_label": f"Select {request.product.name} for {requester}",
            "action": _ACTION_LABELS.get(request.action, request.action),
            "environment_ref": request.environment_ref,
            "preview": getattr(task, "preview", None),
            "cost": request.estimated_monthly_cost, "step": task.name,
            "approvals": getattr(task, "approvals", 0), "required": task.required_approvals,
            "escalated": task.escalated, "on_behalf_of": on_behalf,
            # The delegator's name as "First Last", or "First " / " Last" as the template
            # printed a half-known name; the username when neither is known.
            "on_behalf_label": f"{first} {last}" if first or last else on_behalf,
        })
    return rows


def _preview(preview: Any) -> str:
    """The change summary under the action: its parts, the destructive ones marked."""
    if not preview:
        return ""
    parts = [f'<span class="change-summary-destructive">{cell_text(part.text)}</span>'
             if part.destructive else cell_text(part.text) for part in preview.summary]
    return ('<br><span class="small change-summary" data-change-summary>'
            + " · ".join(parts) + "</span>")


def _step(row: dict[str, Any]) -> str:
    cell = (f'{cell_text(row["step"])} <span class="muted small">{cell_text(row["approvals"])}/'
            f'{cell_text(row["required"])}</span>')
    if row["escalated"]:
        cell += ' <span class="badge">escalated</span>'
    if row["on_behalf_of"]:
        cell += (f' <span class="badge" data-on-behalf-of="{cell_text(row["on_behalf_of"])}">'
                 f'on behalf of {cell_text(row["on_behalf_label"])}</span>')
    return cell


def _row_html(row: dict[str, Any], box_id: str) -> str:
    pk, reference = cell_text(row["pk"]), cell_text(row["reference"])
    named = f'{cell_text(row["name"])} · ' if row["name"] else ""
    ref = row["environment_ref"]
    action = cell_text(row["action"]) + (
        f' <code class="small">{cell_text(Truncator(ref).chars(9))}</code>' if ref else "")
    cost = (f'${cell_text(row["cost"])}/month' if row["cost"] is not None
            else '<span class="muted">unknown</span>')
    return (
        f'\n      <tr data-task="{pk}" data-request="{cell_text(row["request_pk"])}" '
        f'data-reference="{reference}">\n'
        f'        <td><input type="checkbox" name="tasks" value="{pk}" '
        f'aria-label="{cell_text(row["select_label"])}" id="{box_id}" hx-preserve="true"></td>\n'
        f'        <td><a href="{cell_text(row["url"])}" class="reference">{reference}</a></td>\n'
        f'        <td>{cell_text(row["submitted"])}</td>\n'
        f'        <td>{cell_text(row["requester"])}</td>\n'
        f'        <td>{cell_text(row["project"])}</td>\n'
        f'        <td>{named}{cell_text(row["product"])} '
        f'<span class="muted small">{cell_text(row["version"])}</span></td>\n'
        f'        <td>{action}{_preview(row["preview"])}</td>\n'
        f'        <td>{cost}</td>\n'
        f'        <td>{_step(row)}</td>\n'
        f'      </tr>\n    ')


def inbox_rows_html(rows: list[dict[str, Any]], *, first_is_tasks: bool = False) -> SafeString:
    """The ``<tr>`` of each row of ``inbox_rows``, with the whitespace the template's loop
    left around them (the template writes the empty table's row itself)."""
    return mark_safe("".join(  # every value above went through _text (escaped)
        _row_html(row, "id_tasks" if first_is_tasks and not n
                  else f"select-task-{cell_text(row['pk'])}") for n, row in enumerate(rows)))

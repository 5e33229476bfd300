"""The rows of "My requests" and its "Request an environment" list, as HTML in one pass.

The template's loop spent a lookup, a filter and a node render per cell of 50 rows, and again
per product of the 50 offered (issue 16); these write the same markup, every value through
``portal.row_values.escaped`` (``escape``'s text), from what the view read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

from approvals.models import Request
from catalog.models import Product
from portal.reversing import reverse_key_of
from portal.row_values import choice_labels, escaped, local_minute

if TYPE_CHECKING:
    from approvals.views import RequestRow


# What "My requests" reads of a request and its related rows (``.only()``): the columns
# ``request_rows`` shows, what ``links.environment_links`` looks the environment up by
# (action, environment_ref) and what ``chain.waiting_step`` needs of a pending request (its
# requester's id, besides the prefetched tasks). The whole rows, with the request's parameters
# and tags, its requester's and its product's, cost most of the page's CPU (issue 16).
REQUEST_LIST_FIELDS = (
    "number", "name", "action", "environment_ref", "estimated_monthly_cost", "status",
    "created_at", "requester_id", "project__name", "product__name", "product__kind",
    "version__name")
REQUEST_LIST_RELATED = ("project", "product", "version")


def _name(row: RequestRow) -> str:
    link, name = row.environment, row.request.name
    if link is not None and link.url:
        return f'<a href="{escaped(link.url)}">{escaped(link.name)}</a>'
    if link is not None:
        return escaped(link.name)
    return escaped(name) if name else '<span class="muted">named by the portal</span>'


def request_rows(rows: Iterable[RequestRow]) -> SafeString:
    """The ``<tr>`` of each row of "My requests" (``views.RequestRow``)."""
    html = []
    kinds = choice_labels(Product.Kind.choices)
    actions = choice_labels(Request.Action.choices)
    statuses = choice_labels(Request.Status.choices)
    request_url = reverse_key_of("approvals:request_detail")
    for row in rows:
        r, waiting = row.request, row.waiting
        cost = ('<span class="muted">unknown</span>' if r.estimated_monthly_cost is None
                else f"${escaped(formats.localize(r.estimated_monthly_cost))}/month")
        next_approver = '<span class="muted">—</span>' if not waiting else (
            f'{escaped(waiting.who)} <span class="muted small">{escaped(waiting.name)}, since '
            f'{local_minute(waiting.since)}</span>')
        reference = escaped(r.reference)
        html.append(
            f'<tr data-request="{escaped(r.pk)}" data-reference="{reference}">\n'
            f'        <td><a href="{escaped(request_url(r.pk))}" '
            f'class="reference">{reference}</a></td>\n'
            f'        <td data-col="name">{_name(row)}</td>\n'
            f'        <td data-col="kind">{escaped(kinds.get(r.product.kind, r.product.kind))} '
            f'<span class="muted small">{escaped(r.product.name)} {escaped(r.version.name)}'
            f'</span></td>\n'
            f'        <td data-col="project">{escaped(r.project.name)}</td>\n'
            f'        <td>{escaped(actions.get(r.action, r.action))}</td>\n'
            f'        <td>{cost}</td>\n'
            f'        <td data-col="status"><span class="status status-{escaped(r.status)}">'
            f'{escaped(statuses.get(r.status, r.status))}</span></td>\n'
            f'        <td data-col="next-approver">{next_approver}</td>\n'
            f'        <td class="small">{local_minute(r.created_at)}</td>\n'
            f'      </tr>')
    return mark_safe("\n      ".join(html))  # every value above is escaped


def product_links(products: Iterable[Product]) -> SafeString:
    """The "Request an environment" list items: each product's request form."""
    start = escaped(reverse("approvals:request_new"))
    kinds = choice_labels(Product.Kind.choices)
    items = [f'<li><a href="{start}?product={escaped(p.pk)}">{escaped(p.name)}</a> '
             f'<span class="muted small">{escaped(kinds.get(p.kind, p.kind))}</span></li>'
             for p in products]
    return mark_safe("".join(items) or  # every value above is escaped
                     '<li class="muted">No product is available to your projects.</li>')

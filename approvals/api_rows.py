"""``MyRequestOutput`` of a page of requests as plain dicts (issue 16).

The serializer stays the documented shape (and what the detail endpoints build on); for the list
of a person's requests, DRF's per-field work (a ``get_attribute`` walk, a None check and a
``to_representation`` per field per row) was a good part of the endpoint. ``my_request_rows``
builds the same dicts in the same key order; formatting that is DRF's own (times, the decimal)
goes through DRF's field instances, so the text is the serializer's by construction
(tests/approvals/test_api_rows.py compares the JSON byte for byte). A field added to
``MyRequestOutput`` must be added here: that test fails until it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from approvals.chain import waiting_step
from approvals.links import EnvironmentLink
from approvals.models import Request
from approvals.notifications import request_url
from portal.row_values import api_text, api_time

_COST = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


# What ``my_request_rows`` reads of a request and its related rows (``.only()`` on
# ``my_requests``): its fields, the requester's username (and id, for the next approvers), the
# project's slug, the product's name and kind, the version's name. Not the parameters, tags
# and justification, nor the whole requester, project and product rows (issue 16).
REQUEST_API_FIELDS = (
    "number", "name", "status", "action", "environment_ref", "lease_days",
    "estimated_monthly_cost", "created_at", "decided_at", "handed_off_at",
    "requester__username", "project__slug", "product__name", "product__kind", "version__name")


def _number(value: int | None) -> int | None:
    return None if value is None else int(value)


def _cost(value: Decimal | None) -> Any:
    return None if value is None else _COST.to_representation(value)


def my_request_rows(requests: Sequence[Request], *, links: Mapping[object, EnvironmentLink]
                    ) -> list[dict[str, Any]]:
    """``MyRequestOutput(requests, many=True, context={"links": links}).data``; the requests
    come from ``approvals.selectors.my_requests`` (related rows and tasks prefetched)."""
    rows = []
    for r in requests:
        link = links.get(r.pk)
        step = waiting_step(request=r)
        rows.append({
            "id": str(r.pk), "reference": r.reference, "name": api_text(r.name),
            "status": api_text(r.status), "action": api_text(r.action),
            "requester": api_text(r.requester.username), "project": api_text(r.project.slug),
            "product": _number(r.product_id), "product_name": api_text(r.product.name),
            "kind": api_text(r.product.kind), "version": _number(r.version_id),
            "version_name": api_text(r.version.name),
            "environment_ref": api_text(r.environment_ref), "lease_days": _number(r.lease_days),
            "estimated_monthly_cost": _cost(r.estimated_monthly_cost),
            "created_at": api_time(r.created_at), "decided_at": api_time(r.decided_at),
            "handed_off_at": api_time(r.handed_off_at),
            "environment": None if link is None else {
                "id": str(link.id) or None, "name": str(link.name), "status": str(link.status)},
            "url": request_url(request=r),
            "next_approvers": [] if step is None else [
                {"username": str(p.username), "name": str(p.name)} for p in step.people],
        })
    return rows

"""``MyRequestOutput`` of a page of requests as plain dicts from ``values_list`` rows (issue 16).

The serializer stays the documented shape (and what the detail endpoints build on); for the list
of a person's requests, DRF's per-field work (a ``get_attribute`` walk, a None check and a
``to_representation`` per field per row) and then the model instances themselves (five a row:
the request, its requester, project, product and version) were most of the endpoint.
``my_request_values`` reads the columns the output shows as tuples; ``my_request_rows`` builds
the same dicts in the same key order; formatting that is DRF's own (times, the decimal) is the
fields' by construction (tests/approvals/test_api_rows.py compares the JSON byte for byte). A
field added to ``MyRequestOutput`` must be added here: that test fails until it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import serializers

from approvals.chain import waiting_step
from approvals.links import environment_links
from approvals.models import REFERENCE_PREFIX, Request
from approvals.selectors import my_requests, waiting_tasks_prefetch
from portal.api_input import MAX_PAGE_SIZE
from portal.models import User
from portal.reversing import reverse_key_of
from portal.row_values import api_text, api_times
from portal.statements import MARKER_ID, Slot, Statement

_COST = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

# What ``my_request_rows`` reads of a request and its related rows, in this order: its fields,
# the requester's id (for the next approvers) and username, the project's slug, the product's
# name and kind, the version's name. Not the parameters, tags and justification, nor the whole
# requester, project and product rows.
REQUEST_API_COLUMNS = (
    "pk", "number", "name", "status", "action", "requester_id", "requester__username",
    "project__slug", "product_id", "product__name", "product__kind", "version_id",
    "version__name", "environment_ref", "lease_days", "estimated_monthly_cost", "created_at",
    "decided_at", "handed_off_at")


@dataclass(frozen=True, slots=True)
class RequestKey:
    """What ``approvals.links.environment_links`` reads of a row (a ``LinkedRequest``)."""

    pk: uuid.UUID
    action: str
    environment_ref: str | None


def my_request_values(requests: QuerySet[Request]) -> QuerySet[Any]:
    """The requests (``approvals.selectors.my_requests``, scoped and ordered) as tuples of
    ``REQUEST_API_COLUMNS``: one query, no model instance."""
    rows: QuerySet[Any] = requests.values_list(*REQUEST_API_COLUMNS)
    return rows


# The first page's windows, compiled once a size (portal.statements); a bounded set: sizes
# 1 to MAX_PAGE_SIZE + 1 (the paginator reads one row past its limit).
_FIRST_WINDOWS: dict[int, Statement] = {}


def _first_window(stop: int) -> Statement:
    statement = _FIRST_WINDOWS.get(stop)
    if statement is None:
        statement = _FIRST_WINDOWS[stop] = Statement(
            lambda user: my_request_values(my_requests(user=User(pk=user)))[:stop],
            user=Slot(User._meta.pk, MARKER_ID))
    return statement


def my_request_window(*, user: User, start: int, stop: int) -> Sequence[Sequence[Any]]:
    """Rows ``start`` to ``stop - 1`` of ``my_request_values(my_requests(user=user))``. A
    window of the first page (what most people ask) runs its compiled statement, so neither
    the queryset nor its SQL is built again on each request (issue 16); any other window is
    the queryset's slice."""
    if start != 0 or not 0 < stop <= MAX_PAGE_SIZE + 1 or not user.is_authenticated:
        return list(my_request_values(my_requests(user=user))[start:stop])
    return _first_window(stop).rows(user=user.pk)


def _number(value: int | None) -> int | None:
    return None if value is None else int(value)


def _cost(value: Decimal | None) -> Any:
    return None if value is None else _COST.to_representation(value)


def _next_approvers(rows: Sequence[Sequence[Any]]) -> dict[object, list[dict[str, str]]]:
    """Who decides the waiting step of each pending row, by pk: ``waiting_step`` of a request
    holding what it reads (pk, status, requester), the tasks prefetched in one query; none for
    a page with nothing pending (most of a person's requests are decided)."""
    pending = [Request(pk=pk, status=status, requester_id=requester_id)
               for pk, _, _, status, _, requester_id, *_ in rows
               if status == Request.Status.PENDING]
    waiting_tasks_prefetch(pending)
    people: dict[object, list[dict[str, str]]] = {}
    for request in pending:
        step = waiting_step(request=request)
        people[request.pk] = [] if step is None else [
            {"username": str(p.username), "name": str(p.name)} for p in step.people]
    return people


def my_request_rows(rows: Sequence[Sequence[Any]], *, user: User) -> list[dict[str, Any]]:
    """``MyRequestOutput(requests, many=True, context={"links": links}).data`` of the rows
    ``my_request_values`` read, with ``links`` the requests' ``environment_links`` for
    ``user``."""
    links = environment_links(
        requests=[RequestKey(pk=row[0], action=row[4], environment_ref=row[13]) for row in rows],
        user=user)
    approvers = _next_approvers(rows)
    time = api_times()
    base_url = settings.PORTAL_BASE_URL.rstrip("/")
    detail_url = reverse_key_of("approvals:request_detail")  # as request_url reverses it
    out = []
    for (pk, number, name, status, action, _, username, slug, product_id, product_name, kind,
         version_id, version_name, environment_ref, lease_days, cost, created_at, decided_at,
         handed_off_at) in rows:
        link = links.get(pk)
        out.append({
            "id": str(pk), "reference": f"{REFERENCE_PREFIX}{number}", "name": api_text(name),
            "status": api_text(status), "action": api_text(action),
            "requester": api_text(username), "project": api_text(slug),
            "product": _number(product_id), "product_name": api_text(product_name),
            "kind": api_text(kind), "version": _number(version_id),
            "version_name": api_text(version_name),
            "environment_ref": api_text(environment_ref), "lease_days": _number(lease_days),
            "estimated_monthly_cost": _cost(cost),
            "created_at": time(created_at), "decided_at": time(decided_at),
            "handed_off_at": time(handed_off_at),
            "environment": None if link is None else {
                "id": str(link.id) or None, "name": str(link.name), "status": str(link.status)},
            "url": base_url + detail_url(pk),
            "next_approvers": approvers.get(pk, []),
        })
    return out
